use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = match llmpu::cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(e.kind(), DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand) {
                let _ = e.print();
                return if e.kind() == DisplayHelpOnMissingArgumentOrSubcommand { ExitCode::from(2) } else { ExitCode::SUCCESS };
            }
            // One line: clap's first line names the value and what is allowed.
            // When the first line ends with ':' the names follow on the next lines (e.g. missing
            // required arguments): join them onto the one line.
            let text = e.render().to_string();
            let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
            let mut line = lines.next().unwrap_or("error: invalid arguments").to_string();
            if line.ends_with(':') {
                let names: Vec<&str> = lines.take_while(|l| !l.starts_with("Usage:")).collect();
                line = format!("{line} {}", names.join(", "));
            }
            eprintln!("{line} (see llmpu --help)");
            return ExitCode::from(2);
        }
    };
    match llmpu::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let usage = e.downcast_ref::<llmpu::Error>().map(|e| e.is_usage()).unwrap_or(false);
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

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
            let text = e.render().to_string();
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("error: invalid arguments");
            eprintln!("{first} (see llmpu --help)");
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

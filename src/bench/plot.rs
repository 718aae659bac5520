//! SVG plots of the design-space sweep, drawn with `plotters` (SVG back end, text as SVG
//! `<text>`, so no font files are needed). One function: values against a categorical x axis
//! (array sizes), one line per series, optional log-scale y.

use crate::{Error, Result};
use plotters::prelude::*;

/// One line of a plot: a name for the legend and one value per x category (`None`: no point,
/// e.g. a size that did not fit).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub values: Vec<Option<f64>>,
}

const COLORS: [RGBColor; 6] = [RGBColor(0xcc, 0x33, 0x33), RGBColor(0x33, 0x66, 0xcc), RGBColor(0x22, 0xaa, 0x77), RGBColor(0x99, 0x55, 0xbb), RGBColor(0xdd, 0x88, 0x22), RGBColor(0x44, 0x44, 0x44)];

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::tool("plotters", e.to_string())
}

/// An SVG line plot of `series` against the categories `xs` (drawn at equal spacing), y from 0
/// (or, with `log_y`, log10 scale from the smallest positive value).
pub fn line_plot(title: &str, x_label: &str, y_label: &str, xs: &[String], series: &[Series], log_y: bool) -> Result<String> {
    let vals: Vec<f64> = series.iter().flat_map(|s| s.values.iter().flatten().copied()).filter(|v| v.is_finite()).collect();
    let ymax = vals.iter().copied().fold(0.0f64, f64::max).max(1e-9);
    let ymin_pos = vals.iter().copied().filter(|v| *v > 0.0).fold(f64::INFINITY, f64::min);
    let n = xs.len().max(1);
    let mut s = String::new();
    {
        let root = SVGBackend::with_string(&mut s, (720, 440)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut b = ChartBuilder::on(&root);
        b.caption(title, ("sans-serif", 16)).margin(14).x_label_area_size(44).y_label_area_size(70);
        let x_fmt = |v: &f64| {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < xs.len() {
                xs[i as usize].clone()
            } else {
                String::new()
            }
        };
        let x_range = -0.5f64..(n as f64 - 0.5);
        if log_y && ymin_pos.is_finite() {
            let lo = 10f64.powf(ymin_pos.log10().floor());
            let hi = 10f64.powf(ymax.log10().ceil()).max(lo * 10.0);
            let mut ch = b.build_cartesian_2d(x_range, (lo..hi).log_scale()).map_err(plot_err)?;
            ch.configure_mesh().x_labels(n).x_label_formatter(&x_fmt).x_desc(x_label).y_desc(y_label).draw().map_err(plot_err)?;
            draw(&mut ch, series)?;
            ch.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw().map_err(plot_err)?;
        } else {
            let mut ch = b.build_cartesian_2d(x_range, 0f64..ymax * 1.1).map_err(plot_err)?;
            ch.configure_mesh().x_labels(n).x_label_formatter(&x_fmt).x_desc(x_label).y_desc(y_label).draw().map_err(plot_err)?;
            draw(&mut ch, series)?;
            ch.configure_series_labels().background_style(WHITE.mix(0.8)).border_style(BLACK).position(SeriesLabelPosition::UpperLeft).draw().map_err(plot_err)?;
        }
        root.present().map_err(plot_err)?;
    }
    Ok(s)
}

fn draw<'a, Y>(ch: &mut ChartContext<'a, SVGBackend<'a>, Cartesian2d<plotters::coord::types::RangedCoordf64, Y>>, series: &[Series]) -> Result<()>
where
    Y: Ranged<ValueType = f64>,
{
    for (k, se) in series.iter().enumerate() {
        let c = COLORS[k % COLORS.len()];
        let pts: Vec<(f64, f64)> = se.values.iter().enumerate().filter_map(|(i, v)| v.filter(|v| v.is_finite()).map(|v| (i as f64, v))).collect();
        ch.draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(plot_err)?
            .label(se.name.clone())
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 16, y)], c.stroke_width(2)));
        ch.draw_series(pts.iter().map(|&p| Circle::new(p, 3, c.filled()))).map_err(plot_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plot_has_every_label_and_point() {
        let xs: Vec<String> = ["1x1", "2x2", "4x4"].iter().map(|s| s.to_string()).collect();
        let svg = line_plot("LUTs", "array", "LUTs", &xs, &[Series { name: "ice40-up5k".into(), values: vec![Some(100.0), None, Some(400.0)] }], false).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        for l in ["1x1", "2x2", "4x4", "ice40-up5k", "LUTs"] {
            assert!(svg.contains(l), "label {l} missing");
        }
        assert_eq!(svg.matches("<circle").count(), 2, "one marker per present value");
        let log = line_plot("t", "a", "b", &xs, &[Series { name: "s".into(), values: vec![Some(10.0), Some(1000.0), Some(1e5)] }], true).unwrap();
        assert_eq!(log.matches("<circle").count(), 3);
    }
}

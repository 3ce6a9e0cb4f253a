//! SVG plots, log-scaled on both axes: throughput against message size (a
//! line per path and connection count) and the cost of a discovery message
//! against TIPC namespaces (a line per kernel and kind).

use super::discovery::{Figures as DiscoveryFigures, Kind};
use super::results::Figures;
use std::fmt::Write as _;

const W: f64 = 720.0;
const H: f64 = 440.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 200.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf",
];

/// One line of a plot: its name, its points, dashed or not.
struct Line {
    name: String,
    points: Vec<(f64, f64)>,
    dashed: bool,
}

/// Renders the throughput figures; `note` (the accelerator) goes under the
/// title.
pub fn plot(f: &Figures, note: &str) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for t in &f.throughput {
        let name = format!("{} {} x{}", t.kernel.name(), t.path.name(), t.conns);
        let point = (t.size as f64, t.mbit_per_s.median);
        match lines.iter_mut().find(|l| l.name == name) {
            Some(l) => l.points.push(point),
            None => lines.push(Line {
                name,
                points: vec![point],
                dashed: t.conns != 1,
            }),
        }
    }
    log_log(
        "TIPC throughput against message size (median Mb/s)",
        note,
        ("message size", "B"),
        &lines,
    )
}

/// Renders the discovery phase: microseconds per discovery message against
/// TIPC namespaces, a line per kernel and kind (periodic dashed).
pub fn discovery_plot(f: &DiscoveryFigures, note: &str) -> String {
    let mut lines: Vec<Line> = Vec::new();
    for p in &f.points {
        let name = format!("{} {}", p.kernel.name(), p.kind.name());
        let point = (f64::from(p.namespaces), p.avg_us);
        match lines.iter_mut().find(|l| l.name == name) {
            Some(l) => l.points.push(point),
            None => lines.push(Line {
                name,
                points: vec![point],
                dashed: p.kind == Kind::Periodic,
            }),
        }
    }
    log_log(
        "Cost of one discovery message against TIPC namespaces (us)",
        note,
        ("TIPC namespaces", ""),
        &lines,
    )
}

/// A plot with both axes log-scaled; `axis` is the x axis's label and unit.
fn log_log(title: &str, note: &str, axis: (&str, &str), lines: &[Line]) -> String {
    let xs: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|q| q.0))
        .collect();
    let ys: Vec<f64> = lines
        .iter()
        .flat_map(|l| l.points.iter().map(|q| q.1))
        .collect();
    let range = |v: &[f64]| {
        let lo = v
            .iter()
            .copied()
            .filter(|x| *x > 0.0)
            .fold(f64::MAX, f64::min);
        let hi = v.iter().copied().fold(0.0, f64::max);
        if lo >= hi || lo == f64::MAX {
            (1.0, 10.0)
        } else {
            (lo.log10().floor(), hi.log10().ceil())
        }
    };
    let (x0, x1) = range(&xs);
    let (y0, y1) = range(&ys);
    let sx = |x: f64| LEFT + (x.max(1e-9).log10() - x0) / (x1 - x0).max(1e-9) * (W - LEFT - RIGHT);
    let sy =
        |y: f64| H - BOTTOM - (y.max(1e-9).log10() - y0) / (y1 - y0).max(1e-9) * (H - TOP - BOTTOM);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"18\" font-size=\"14\">{}</text>\n\
         <text x=\"{LEFT}\" y=\"33\" fill=\"#555\">{}</text>\n",
        escape(title),
        escape(note)
    );
    for d in x0 as i32..=x1 as i32 {
        let x = sx(10f64.powi(d));
        let _ = writeln!(
            s,
            "<line x1=\"{x:.1}\" y1=\"{TOP}\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#ddd\"/><text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM,
            H - BOTTOM + 16.0,
            human(10f64.powi(d), axis.1)
        );
    }
    for d in y0 as i32..=y1 as i32 {
        let y = sy(10f64.powi(d));
        let _ = writeln!(
            s,
            "<line x1=\"{LEFT}\" y1=\"{y:.1}\" x2=\"{:.1}\" y2=\"{y:.1}\" stroke=\"#ddd\"/><text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            y + 4.0,
            human(10f64.powi(d), "")
        );
    }
    let _ = writeln!(
        s,
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
        (LEFT + W - RIGHT) / 2.0,
        H - 12.0,
        escape(axis.0)
    );
    for (i, line) in lines.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let dash = if line.dashed {
            " stroke-dasharray=\"6 3\""
        } else {
            ""
        };
        let points: Vec<String> = line
            .points
            .iter()
            .map(|(x, y)| format!("{:.1},{:.1}", sx(*x), sy(*y)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>",
            points.join(" ")
        );
        let ly = TOP + 18.0 * i as f64 + 10.0;
        let lx = W - RIGHT + 15.0;
        let _ = writeln!(
            s,
            "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/><text x=\"{}\" y=\"{}\">{}</text>",
            lx + 25.0,
            lx + 30.0,
            ly + 4.0,
            escape(&line.name)
        );
    }
    s.push_str("</svg>\n");
    s
}

fn human(v: f64, unit: &str) -> String {
    match v {
        v if v >= 1e6 => format!("{}M{unit}", v / 1e6),
        v if v >= 1e3 => format!("{}k{unit}", v / 1e3),
        v => format!("{v}{unit}"),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

//! `cargo bench -p weft-bench`: the visual backend against hand-written Rust loops
//! computing the same values, measured in the same run, and Prospero at 1024×1024.
//! Prints Mpixel/s and ratios (above 1.0: weft is faster than the loop).

use std::hint::black_box;
use weft_bench::*;

const W: u32 = 1920;
const H: u32 = 1080;

fn report(name: &str, weft: f64, native: f64, pixels: f64) {
    println!(
        "{name:<28} weft {:>8.1} Mpx/s ({:>7.2} ms)   loop {:>8.1} Mpx/s ({:>7.2} ms)   ratio {:>5.2}",
        pixels / weft / 1e6,
        weft * 1e3,
        pixels / native / 1e6,
        native * 1e3,
        native / weft
    );
}

fn native_frame(mut f: impl FnMut(f64, f64, &mut [u8])) -> Vec<u8> {
    let mut frame = vec![0u8; (W * H * 4) as usize];
    for j in 0..H as usize {
        let y = (j as f64 + 0.5) / H as f64;
        for i in 0..W as usize {
            let x = (i as f64 + 0.5) / W as f64;
            let px = (j * W as usize + i) * 4;
            f(x, y, &mut frame[px..px + 4]);
        }
    }
    frame
}

fn compare(name: &str, text: &str, time: f64, native: impl Fn(f64, f64, &mut [u8]) + Copy) {
    let mut c = compile(text, W, H);
    let runs = 5;
    let weft = best_of(runs, || {
        black_box(c.coordinator.render_frame(time, time, &c.uniforms));
    });
    let weft_frame = c.coordinator.visual().frame().to_vec();
    let mut native_out = Vec::new();
    let loop_time = best_of(runs, || native_out = black_box(native_frame(native)));
    let differ = weft_frame
        .iter()
        .zip(&native_out)
        .filter(|(a, b)| a.abs_diff(**b) > 1)
        .count();
    assert_eq!(
        differ, 0,
        "{name}: {differ} channels differ from the hand-written loop"
    );
    report(name, weft, loop_time, (W * H) as f64);
}

fn main() {
    println!(
        "weft visual benchmarks, {W}x{H}, best of 5, {} threads",
        rayon_threads()
    );
    compare(
        "gradient",
        "img<r, g, b> = (me@x, me@y, 0.5)\ndisplay(img@r, img@g, img@b)\n",
        0.0,
        |x, y, px| {
            px.copy_from_slice(&[to_u8(x), to_u8(y), to_u8(0.5), 255]);
        },
    );
    let taste = include_str!("../../examples/taste.weft");
    let t = 0.3;
    compare("taste (spec example)", taste, t, move |x, y, px| {
        let pulse = 0.5 + 0.5 * (t * std::f64::consts::TAU * 2.0).sin();
        let r = 0.3 * pulse;
        let d = ((x - 0.5) * (x - 0.5) + (y - 0.5) * (y - 0.5)).sqrt();
        let ring = weft_lang::builtins::smoothstep(r + 0.01, r, d);
        px.copy_from_slice(&[to_u8(ring), to_u8(x), to_u8(y), 255]);
    });
    compare("200-strand chain", &chain_weft(200), 0.0, |x, y, px| {
        px.copy_from_slice(&[to_u8(chain_native(200, x, y)), to_u8(y), to_u8(0.5), 255]);
    });
    prospero_bench();
}

fn rayon_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn prospero_bench() {
    let vm = include_str!("../data/prospero.vm");
    let text = prospero_weft(vm);
    let size = 1024u32;
    let c0 = std::time::Instant::now();
    let mut c = compile(&text, size, size);
    let compile_s = c0.elapsed().as_secs_f64();
    let mut frame = Vec::new();
    let weft = best_of(3, || {
        frame = c.coordinator.render_frame(0.0, 0.0, &c.uniforms).to_vec()
    });
    let inside_weft = frame.chunks(4).filter(|p| p[0] == 255).count();
    let mut inside_native = 0;
    let native = best_of(1, || {
        inside_native = 0;
        for j in 0..size {
            let y = 1.0 - 2.0 * (j as f64 + 0.5) / size as f64;
            for i in 0..size {
                let x = -1.0 + 2.0 * (i as f64 + 0.5) / size as f64;
                if black_box(prospero(x, y)) < 0.0 {
                    inside_native += 1;
                }
            }
        }
    });
    assert_eq!(
        inside_weft, inside_native,
        "Prospero inside-pixel counts differ"
    );
    println!(
        "prospero 1024x1024            weft {:>8.3} s (compile {:.2} s)   native scalar f64 {:>7.3} s   ratio {:>5.2}   inside {} px",
        weft, compile_s, native, native / weft, inside_weft
    );
}

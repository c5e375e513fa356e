//! Determinism probe: prints the bit patterns of NaN-producing float operations
//! (scalar, SIMD and relaxed SIMD). Without NaN canonicalization these bits differ
//! between CPUs.
// `x / x` and `inf - inf` are the point: they produce NaNs.
#![allow(clippy::eq_op)]

use std::hint::black_box;

#[cfg(target_arch = "wasm32")]
#[target_feature(enable = "simd128,relaxed-simd")]
fn simd_lanes() -> Vec<u32> {
    use core::arch::wasm32::*;
    let a = f32x4(
        black_box(f32::NAN),
        black_box(-0.0),
        black_box(1.0),
        black_box(f32::INFINITY),
    );
    let b = f32x4(
        black_box(1.0),
        black_box(0.0),
        black_box(f32::NAN),
        black_box(f32::NEG_INFINITY),
    );
    let mut out = Vec::new();
    for v in [
        f32x4_div(a, b),
        f32x4_mul(a, b),
        f32x4_add(a, b),
        f32x4_sqrt(f32x4_neg(a)),
        f32x4_relaxed_min(a, b),
        f32x4_relaxed_max(a, b),
        f32x4_relaxed_madd(a, b, a),
        i32x4_relaxed_trunc_f32x4(f32x4_mul(a, b)),
    ] {
        out.push(u32x4_extract_lane::<0>(v));
        out.push(u32x4_extract_lane::<1>(v));
        out.push(u32x4_extract_lane::<2>(v));
        out.push(u32x4_extract_lane::<3>(v));
    }
    out
}

fn main() {
    let zero = black_box(0.0f64);
    let neg = black_box(-1.0f64);
    let inf = black_box(f64::INFINITY);
    let nan = black_box(f64::from_bits(0x7ff8_0000_dead_beef));
    let scalars = [
        zero / zero,
        neg.sqrt(),
        inf - inf,
        inf * zero,
        nan + 1.0,
        -nan,
        nan * neg,
        (zero / zero).abs(),
    ];
    for (i, v) in scalars.iter().enumerate() {
        println!("f64[{i}] = {:#018x}", v.to_bits());
    }
    let f = black_box(f32::from_bits(0x7fc0_1234));
    println!("f32 = {:#010x}", (f * black_box(2.0f32)).to_bits());
    #[cfg(target_arch = "wasm32")]
    {
        // On wasm, calling a target_feature fn is safe: an engine without these
        // features rejects the module at load time.
        let lanes = simd_lanes();
        for (i, bits) in lanes.iter().enumerate() {
            println!("simd[{i}] = {bits:#010x}");
        }
    }
}

//! Reproducible pseudo-random numbers: the same seed and counter give the same value on every
//! run and platform, so a seed replays the same result orders and random faults.

/// SplitMix64 over a seed and a counter: a fast, well-spread, reproducible 64-bit value.
pub(crate) fn mix(seed: u64, counter: u64) -> u64 {
    let mut z = seed.wrapping_add(counter.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

//! Named random streams. Each part of the simulation draws from its own stream, seeded by
//! BLAKE3(seed, name), so that a new part (or a new agency) never shifts another part's draws,
//! and the same seed gives the same bytes on every platform (ChaCha8 is specified bit for bit).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

/// The stream `name` of the scenario seeded with `seed`.
pub fn stream(seed: u64, name: &str) -> ChaCha8Rng {
    let mut h = blake3::Hasher::new();
    h.update(&seed.to_le_bytes());
    h.update(name.as_bytes());
    ChaCha8Rng::from_seed(*h.finalize().as_bytes())
}

/// An item drawn with probability proportional to its weight (the last one if rounding leaves
/// the roll past the end).
pub fn weighted<'a>(rng: &mut impl rand::Rng, items: &'a [(&'a str, f64)]) -> &'a str {
    let total: f64 = items.iter().map(|(_, w)| w).sum();
    let mut roll = rng.random::<f64>() * total;
    for (item, w) in items {
        if roll < *w {
            return item;
        }
        roll -= w;
    }
    items.last().map_or("", |(i, _)| i)
}

/// A draw from the lognormal distribution with median `median` and log-scale spread `sigma`
/// (Box–Muller for the normal).
pub fn lognormal(rng: &mut impl rand::Rng, median: f64, sigma: f64) -> f64 {
    let u1: f64 = rng.random::<f64>().max(f64::MIN_POSITIVE);
    let u2: f64 = rng.random();
    let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
    (median.ln() + sigma * z).exp()
}

/// The civil date `days` after 2023-01-01 (the scenario window's start).
pub fn civil(days: u32) -> (i32, u32, u32) {
    // 2023-01-01 is day 19,358 after 1970-01-01.
    let (year, month, day) = corridor_text::calendar::civil_from_days(19_358 + i64::from(days));
    (year as i32, month, day)
}

#[cfg(test)]
mod tests {
    use rand::RngCore;

    #[test]
    fn streams_are_independent_and_repeatable() {
        let a = super::stream(7, "world/migrants").next_u64();
        assert_eq!(a, super::stream(7, "world/migrants").next_u64());
        assert_ne!(a, super::stream(7, "agency/RS_BP").next_u64());
        assert_ne!(a, super::stream(8, "world/migrants").next_u64());
    }

    #[test]
    fn civil_dates() {
        assert_eq!(super::civil(0), (2023, 1, 1));
        assert_eq!(super::civil(58), (2023, 2, 28));
        assert_eq!(super::civil(59), (2023, 3, 1));
        assert_eq!(super::civil(364), (2023, 12, 31));
        assert_eq!(super::civil(365 + 59), (2024, 2, 29));
    }
}

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

/// The civil date `days` after 2023-01-01 (the scenario window's start).
pub fn civil(days: u32) -> (i32, u32, u32) {
    // Days since 1970-01-01 of 2023-01-01, then Howard Hinnant's civil-from-days.
    let z = 19_358 + i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
    (year, month, day)
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

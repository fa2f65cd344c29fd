//! Unique, unguessable identifiers without a UUID crate: used for request ids and event ids.

use std::hash::{BuildHasher, RandomState};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

/// 32 hex digits: 64 random bits fixed per process, then a counter passed through a keyed
/// bijection (so ids never repeat within a process and are not guessable).
pub fn generate() -> String {
    static KEYS: LazyLock<(u64, u64)> = LazyLock::new(|| {
        let state = RandomState::new();
        (state.hash_one(0_u8), state.hash_one(1_u8))
    });
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let (prefix, key) = *KEYS;
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{prefix:016x}{:016x}", mix(n.wrapping_add(key)))
}

/// The `splitmix64` finalizer: a bijection on `u64` that scatters consecutive inputs.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    #[test]
    fn ids_are_unique_hex() {
        let ids: std::collections::HashSet<String> = (0..1000).map(|_| super::generate()).collect();
        assert_eq!(ids.len(), 1000);
        assert!(
            ids.iter()
                .all(|id| id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()))
        );
    }
}

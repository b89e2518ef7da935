//! Exact division of an amount by weights: no minor unit lost or created.

/// Splits `total` minor units in proportion to `weights` (largest-remainder method).
///
/// Each share is first rounded down (towards zero for negative totals); the units left over go,
/// one each, to the shares with the largest remainders, ties to the earlier weight. The shares
/// always sum to `total` exactly. Zero or empty weights give all-zero shares (nothing to split
/// by); callers refuse that case before calling.
pub fn allocate(total: i64, weights: &[u32]) -> Vec<i64> {
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    if sum == 0 {
        return vec![0; weights.len()];
    }
    let negative = total < 0;
    let magnitude = u128::from(total.unsigned_abs());
    let mut shares: Vec<u128> = Vec::with_capacity(weights.len());
    let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(weights.len());
    for (i, &w) in weights.iter().enumerate() {
        let exact = magnitude * u128::from(w);
        shares.push(exact / sum);
        remainders.push((exact % sum, i));
    }
    let mut left = magnitude - shares.iter().sum::<u128>();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for &(_, i) in &remainders {
        if left == 0 {
            break;
        }
        shares[i] += 1;
        left -= 1;
    }
    shares
        .into_iter()
        .map(|s| {
            let s = i64::try_from(s).unwrap_or(i64::MAX);
            if negative { -s } else { s }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::allocate;

    #[test]
    fn shares_always_sum_to_the_total() {
        let cases: &[(i64, &[u32])] = &[
            (100, &[1, 1, 1]),
            (1, &[3333, 3333, 3334]),
            (1_000_001, &[2500, 2500, 5000]),
            (-1001, &[1, 2]),
            (i64::MAX, &[1, 1]),
            (7, &[0, 5, 0, 5]),
            (0, &[1, 2, 3]),
        ];
        for (total, weights) in cases {
            let shares = allocate(*total, weights);
            assert_eq!(
                shares.iter().map(|&s| i128::from(s)).sum::<i128>(),
                i128::from(*total),
                "{total} by {weights:?}: {shares:?}"
            );
            for (s, w) in shares.iter().zip(weights.iter()) {
                if *w == 0 {
                    assert_eq!(*s, 0, "a zero weight gets nothing");
                }
            }
        }
    }

    #[test]
    fn leftover_units_go_to_the_largest_remainders_then_the_first() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[1, 2]), vec![3, 7]);
        assert_eq!(allocate(-100, &[1, 1, 1]), vec![-34, -33, -33]);
        assert_eq!(allocate(5, &[]), Vec::<i64>::new());
    }

    #[test]
    fn every_split_of_small_amounts_is_exact() {
        for total in -50..=500 {
            for weights in [
                &[1u32, 1, 1][..],
                &[7, 13],
                &[2500, 2500, 2500, 2500],
                &[1, 0, 99],
            ] {
                let shares = allocate(total, weights);
                assert_eq!(shares.iter().sum::<i64>(), total);
                let exact_sum: u32 = weights.iter().sum();
                for (s, w) in shares.iter().zip(weights) {
                    let ideal = total as f64 * f64::from(*w) / f64::from(exact_sum);
                    assert!(
                        (*s as f64 - ideal).abs() < 1.0,
                        "each share is within one unit of its ideal"
                    );
                }
            }
        }
    }
}

use proptest::prelude::*;

use super::*;
use crate::{Currency, Money};

fn line(quantity: i64, unit_price: i64, discount: i64, rate: i32) -> LineInput {
    LineInput {
        description: "Concrete".to_owned(),
        quantity,
        unit_price,
        discount,
        category: VatCategory::Standard,
        rate,
    }
}

#[test]
fn a_line_rounds_half_up_once() {
    // 2.5 × 10.01 SAR = 25.025 → 25.03; VAT 15 % = 3.7545 → 3.75.
    let l = compute(line(2500, 1001, 0, 1500), false).unwrap();
    assert_eq!((l.net, l.vat, l.gross), (2503, 375, 2878));
    // 115.00 SAR with VAT included: VAT 15.00, net 100.00.
    let l = compute(line(1000, 11500, 0, 1500), true).unwrap();
    assert_eq!((l.net, l.vat, l.gross), (10000, 1500, 11500));
    // Half a halala rounds up: 0.5 × 0.01 = 0.005 → 0.01.
    assert_eq!(compute(line(500, 1, 0, 0), false).unwrap().net, 1);
    assert_eq!(
        compute(line(1000, 100, 101, 1500), false),
        Err(LineError::DiscountTooLarge)
    );
    let mut zero = line(1000, 100, 0, 1500);
    zero.category = VatCategory::ZeroRated;
    assert_eq!(compute(zero, false).unwrap().vat, 0);
}

#[test]
fn quantities_parse_with_three_decimals() {
    assert_eq!(Quantity::parse("2.5", "/q").unwrap().thousandths(), 2500);
    assert_eq!(Quantity::parse("0.125", "/q").unwrap().to_string(), "0.125");
    assert_eq!(Quantity::parse("3", "/q").unwrap().to_string(), "3");
    for bad in [
        "0", "-1", "1.2345", "1e3", "", ".5", "5.", "10000000", "1 000",
    ] {
        assert!(Quantity::parse(bad, "/q").is_err(), "{bad}");
    }
}

#[test]
fn the_summary_groups_by_category_and_rate() {
    let mut exempt = line(1000, 500, 0, 1500);
    exempt.category = VatCategory::Exempt;
    let lines: Vec<_> = [line(1000, 1000, 0, 1500), exempt, line(2000, 1000, 0, 1500)]
        .into_iter()
        .map(|l| compute(l, false).unwrap())
        .collect();
    let t = totals(&lines).unwrap();
    assert_eq!((t.net, t.vat, t.gross), (3500, 450, 3950));
    assert_eq!(t.breakdown.len(), 2);
    assert_eq!((t.breakdown[0].taxable, t.breakdown[0].vat), (3000, 450));
    assert_eq!(
        (t.breakdown[1].category, t.breakdown[1].vat),
        (VatCategory::Exempt, 0)
    );
}

fn any_line() -> impl Strategy<Value = LineInput> {
    (
        1i64..5_000_000,
        0i64..100_000_000,
        prop::sample::select(vec![0, 500, 1000, 1400, 1500]),
        prop::sample::select(vec![
            VatCategory::Standard,
            VatCategory::ZeroRated,
            VatCategory::Exempt,
        ]),
        0u8..4,
    )
        .prop_map(|(quantity, unit_price, rate, category, d)| {
            let extended = (i128::from(quantity) * i128::from(unit_price) + 500) / 1000;
            let discount = i64::try_from(extended * i128::from(d) / 8).unwrap();
            LineInput {
                description: "x".to_owned(),
                quantity,
                unit_price,
                discount,
                category,
                rate,
            }
        })
}

proptest! {
    /// Whatever the lines, in halalas (SAR, two decimals) or fils (KWD, three), each line's
    /// VAT is its net at its rate to within half a minor unit, and the totals and the VAT
    /// summary are exactly the sums of the lines, down to the last halala or fils as printed.
    #[test]
    fn totals_tie_out_to_the_minor_unit(
        inputs in prop::collection::vec(any_line(), 1..40),
        inclusive in any::<bool>(),
        currency in prop::sample::select(vec![Currency::Sar, Currency::Kwd]),
    ) {
        let lines: Vec<Line> = inputs
            .into_iter()
            .map(|l| compute(l, inclusive).unwrap())
            .collect();
        for l in &lines {
            prop_assert_eq!(l.net + l.vat, l.gross);
            let rate = if l.input.category == VatCategory::Standard { l.input.rate } else { 0 };
            // |vat − net × rate| ≤ ½ minor unit, in exact integers: |2·vat·10⁴ − 2·net·rate| ≤ 10⁴,
            // plus the half a unit an inclusive price adds by rounding its VAT first.
            let err = (2 * i128::from(l.vat) * 10_000 - 2 * i128::from(l.net) * i128::from(rate)).abs();
            let slack = if inclusive { 10_000 + 2 * i128::from(rate) } else { 10_000 };
            prop_assert!(err <= slack, "line {:?}", l);
            let typed = (i128::from(l.input.quantity) * i128::from(l.input.unit_price) + 500) / 1000
                - i128::from(l.input.discount);
            let priced = if inclusive { l.gross } else { l.net };
            prop_assert_eq!(i128::from(priced), typed);
        }
        let t = totals(&lines).unwrap();
        prop_assert_eq!(t.net, lines.iter().map(|l| l.net).sum::<i64>());
        prop_assert_eq!(t.vat, lines.iter().map(|l| l.vat).sum::<i64>());
        prop_assert_eq!(t.gross, t.net + t.vat);
        prop_assert_eq!(t.breakdown.iter().map(|g| g.taxable).sum::<i64>(), t.net);
        prop_assert_eq!(t.breakdown.iter().map(|g| g.vat).sum::<i64>(), t.vat);
        // As printed: the decimal totals are the decimal sums of the printed lines.
        let printed = |v: i64| Money::from_minor(v, currency);
        let gross = Money::checked_sum(currency, lines.iter().map(|l| printed(l.gross))).unwrap();
        prop_assert_eq!(gross.amount_string(), printed(t.gross).amount_string());
        let vat = Money::checked_sum(currency, lines.iter().map(|l| printed(l.vat))).unwrap();
        prop_assert_eq!(
            Money::parse(&vat.amount_string(), currency).unwrap(),
            printed(t.vat)
        );
    }
}

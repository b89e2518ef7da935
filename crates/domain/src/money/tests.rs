//! Unit tests for [`Money`] parsing, formatting and arithmetic.

use super::*;

#[test]
fn formats_with_exactly_the_currency_exponent() {
    assert_eq!(
        Money::from_minor(150_050, Currency::Sar).amount_string(),
        "1500.50"
    );
    assert_eq!(
        Money::from_minor(150_000, Currency::Kwd).amount_string(),
        "150.000"
    );
    assert_eq!(Money::from_minor(5, Currency::Bhd).amount_string(), "0.005");
    assert_eq!(
        Money::from_minor(-1, Currency::Usd).amount_string(),
        "-0.01"
    );
    assert_eq!(
        Money::from_minor(i64::MIN, Currency::Usd).amount_string(),
        "-92233720368547758.08"
    );
    assert_eq!(
        Money::from_minor(1234, Currency::Aed).to_string(),
        "12.34 AED"
    );
}

#[test]
fn parses_exact_decimals_and_pads_shorter_ones() {
    assert_eq!(
        Money::parse("1500.50", Currency::Sar),
        Ok(Money::from_minor(150_050, Currency::Sar))
    );
    assert_eq!(
        Money::parse("1500.5", Currency::Sar),
        Ok(Money::from_minor(150_050, Currency::Sar))
    );
    assert_eq!(
        Money::parse("150", Currency::Kwd),
        Ok(Money::from_minor(150_000, Currency::Kwd))
    );
    assert_eq!(
        Money::parse("0.001", Currency::Omr),
        Ok(Money::from_minor(1, Currency::Omr))
    );
    assert_eq!(
        Money::parse("-12.30", Currency::Egp),
        Ok(Money::from_minor(-1230, Currency::Egp))
    );
}

#[test]
fn refuses_to_round_away_minor_units() {
    assert_eq!(
        Money::parse("1.005", Currency::Sar),
        Err(MoneyError::TooManyDecimals {
            currency: Currency::Sar,
            max: 2
        })
    );
    assert_eq!(
        Money::parse("1.0001", Currency::Kwd),
        Err(MoneyError::TooManyDecimals {
            currency: Currency::Kwd,
            max: 3
        })
    );
}

#[test]
fn rejects_malformed_text() {
    for bad in [
        "", "-", ".5", "5.", "1,000.00", "1e3", " 1.00", "1.00 ", "+1.00", "1.-1", "NaN", "--1",
        "١٠٠",
    ] {
        assert_eq!(
            Money::parse(bad, Currency::Sar),
            Err(MoneyError::Malformed),
            "{bad:?}"
        );
    }
}

#[test]
fn positive_parse_rejects_zero_and_negatives() {
    assert_eq!(
        Money::parse_positive("0.00", Currency::Sar),
        Err(MoneyError::NotPositive)
    );
    assert_eq!(
        Money::parse_positive("-5", Currency::Sar),
        Err(MoneyError::NotPositive)
    );
    assert!(Money::parse_positive("0.01", Currency::Sar).is_ok());
}

#[test]
fn amounts_above_the_documented_maximum_are_refused_and_sums_never_wrap() {
    for text in [
        "50000000000000000.00",
        "92233720368547758.08",
        "99999999999999999999999",
        "1000000000000",
    ] {
        assert_eq!(
            Money::parse(text, Currency::Sar),
            Err(MoneyError::AboveMaximum),
            "{text}"
        );
    }
    assert_eq!(
        Money::parse("-1000000000000.000", Currency::Kwd),
        Err(MoneyError::AboveMaximum)
    );
    let largest = Money::parse("999999999999.999", Currency::Kwd);
    assert_eq!(
        largest,
        Ok(Money::from_minor(999_999_999_999_999, Currency::Kwd))
    );
    assert_eq!(
        Money::checked_sum(
            Currency::Sar,
            [
                Money::from_minor(i64::MAX - 1, Currency::Sar),
                Money::from_minor(2, Currency::Sar)
            ]
        ),
        Err(MoneyError::Overflow)
    );
    let max = Money::from_minor(i64::MAX, Currency::Usd);
    assert_eq!(
        max.checked_add(Money::from_minor(1, Currency::Usd)),
        Err(MoneyError::Overflow)
    );
}

#[test]
fn never_mixes_currencies() {
    let sar = Money::from_minor(100, Currency::Sar);
    let aed = Money::from_minor(100, Currency::Aed);
    assert_eq!(
        sar.checked_add(aed),
        Err(MoneyError::CurrencyMismatch(Currency::Sar, Currency::Aed))
    );
    assert_eq!(
        sar.checked_sub(aed),
        Err(MoneyError::CurrencyMismatch(Currency::Sar, Currency::Aed))
    );
    assert_eq!(
        sar.checked_add(sar),
        Ok(Money::from_minor(200, Currency::Sar))
    );
}

#[test]
fn currency_codes_round_trip_and_unknown_codes_fail() {
    for c in Currency::ALL {
        assert_eq!(c.code().parse::<Currency>(), Ok(c));
    }
    assert_eq!(
        "sar".parse::<Currency>(),
        Err(MoneyError::UnknownCurrency("sar".into()))
    );
    assert_eq!(
        "XYZ".parse::<Currency>(),
        Err(MoneyError::UnknownCurrency("XYZ".into()))
    );
}

#[test]
fn every_text_form_parses_back_to_the_same_amount() {
    for c in Currency::ALL {
        let largest = Money::MAX_MAJOR * 10_i64.pow(c.exponent()) - 1;
        for minor in [
            0,
            1,
            9,
            10,
            99,
            100,
            101,
            123_456_789,
            -7,
            largest,
            -largest,
        ] {
            let m = Money::from_minor(minor, c);
            assert_eq!(Money::parse(&m.amount_string(), c), Ok(m));
        }
        let beyond = Money::from_minor(largest + 1, c);
        assert_eq!(
            Money::parse(&beyond.amount_string(), c),
            Err(MoneyError::AboveMaximum)
        );
        assert_eq!(
            Money::from_minor(i64::MIN, c)
                .amount_string()
                .trim_start_matches('-')
                .len(),
            Money::from_minor(i64::MAX, c).amount_string().len(),
            "the widest amounts still format"
        );
    }
}

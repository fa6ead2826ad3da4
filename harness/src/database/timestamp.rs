//! A point in time as a student's table may hold it, read back as Unix
//! seconds. The contract does not fix the type of `expires_at`: an integer
//! is Unix seconds, and a timestamp (PostgreSQL's, or SQLite text in ISO
//! 8601 or `YYYY-MM-DD HH:MM:SS`) is UTC unless it names an offset.

/// `text` (a column cast to text) as Unix seconds, if it is a time at all.
pub fn unix_seconds(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(seconds) = text.parse::<i64>() {
        return Some(seconds);
    }
    // A REAL column, or Python's time.time(): seconds with a fraction.
    if let Ok(seconds) = text.parse::<f64>() {
        return (seconds.is_finite() && seconds.abs() < 1e15).then(|| seconds.floor() as i64);
    }
    calendar(text)
}

/// `YYYY-MM-DD[T ]HH:MM[:SS[.fraction]][Z|±HH[[:]MM]]`.
fn calendar(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at_checked(10)?;
    let mut ymd = date.split('-');
    let (year, month, day) = (number(ymd.next()?)?, number(ymd.next()?)?, number(ymd.next()?)?);
    if ymd.next().is_some() || !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    // The time runs to the first character that starts an offset.
    let zone_at = rest.find(['Z', 'z', '+', '-']).unwrap_or(rest.len());
    let (time, zone) = rest.split_at(zone_at);
    let mut hms = time.trim_end().split(':');
    let hour = number(hms.next()?)?;
    let minute = number(hms.next()?)?;
    let second = match hms.next() {
        // The fraction of a second does not matter here.
        Some(second) => number(second.split('.').next()?)?,
        None => 0,
    };
    if hms.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let offset = offset_seconds(zone)?;
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3_600 + minute * 60 + second - offset)
}

/// `Z`, `+02`, `+0530`, `-05:30` or nothing (UTC), in seconds east of UTC.
fn offset_seconds(zone: &str) -> Option<i64> {
    let zone = zone.trim();
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return Some(0);
    }
    let sign = match zone.as_bytes()[0] {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = zone[1..].chars().filter(|c| *c != ':').collect();
    let (hours, minutes) = match digits.len() {
        2 => (number(&digits)?, 0),
        4 => (number(&digits[..2])?, number(&digits[2..])?),
        _ => return None,
    };
    Some(sign * (hours * 3_600 + minutes * 60))
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| text.parse().ok())?
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
/// `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::unix_seconds;

    #[test]
    fn integers_and_fractions_are_unix_seconds() {
        assert_eq!(unix_seconds("1795000000"), Some(1_795_000_000));
        assert_eq!(unix_seconds(" 1795000000.75 "), Some(1_795_000_000));
    }

    #[test]
    fn timestamps_are_utc_unless_they_say_otherwise() {
        // 2026-11-21 10:00:00 UTC
        let at = 1_795_255_200;
        for text in [
            "2026-11-21 10:00:00",
            "2026-11-21T10:00:00Z",
            "2026-11-21 10:00:00.123456",
            "2026-11-21 10:00:00+00",
            "2026-11-21 11:00:00+01",
            "2026-11-21 15:30:00+05:30",
            "2026-11-21T05:00:00-0500",
            "2026-11-21 10:00",
        ] {
            assert_eq!(unix_seconds(text), Some(at), "{text}");
        }
        assert_eq!(unix_seconds("1970-01-01 00:00:00"), Some(0));
        assert_eq!(unix_seconds("2000-02-29T00:00:00"), Some(951_782_400));
    }

    #[test]
    fn anything_else_is_not_a_time() {
        for text in ["", "soon", "2026-13-01 00:00:00", "2026-11-21", "2026-11-21 25:00:00", "NaN"]
        {
            assert_eq!(unix_seconds(text), None, "{text}");
        }
    }
}

//! "Did you mean …?": the known name closest to a misspelt one.

/// Names longer than this get no suggestion (a hostile 5 MB identifier must not
/// cost a distance computation against every candidate).
const MAX_LEN: usize = 64;

/// The candidate closest to `name` by edit distance (optimal string alignment:
/// insertions, deletions, substitutions and swaps of neighbours), if it is close
/// enough to be a likely slip: at most one edit for names of up to five
/// characters, else at most a third of the name's length, and fewer edits than the
/// name has characters. A difference of case alone always counts. Ties go to the
/// earlier candidate.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let len = name.chars().count();
    if len == 0 || len > MAX_LEN {
        return None;
    }
    let limit = (len / 3).max(1);
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        if c == name {
            continue;
        }
        let c_len = c.chars().count();
        if c_len.abs_diff(len) > limit || c_len > MAX_LEN {
            continue;
        }
        let d = if c.eq_ignore_ascii_case(name) {
            0
        } else {
            strsim::osa_distance(name, c)
        };
        // Some of the name must survive: `z` is no slip for `x`.
        if d <= limit && d < len && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, c));
        }
    }
    best.map(|(_, c)| c)
}

/// `"; did you mean `x`?"` for the closest candidate (see [`closest`]), or
/// nothing: ready to append to a message.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates)
        .map(|c| format!("; did you mean `{c}`?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_names_only() {
        let names = ["sin", "sinh", "sign", "smoothstep", "img", "time"];
        assert_eq!(closest("sn", names), Some("sin"));
        assert_eq!(closest("sinn", names), Some("sin"));
        assert_eq!(closest("Sin", names), Some("sin"));
        assert_eq!(closest("smothstep", names), Some("smoothstep"));
        assert_eq!(closest("tiem", names), Some("time"));
        assert_eq!(closest("qqq", names), None);
        assert_eq!(closest("sin", names), Some("sinh"));
        assert_eq!(closest("x", ["y"]), None);
        assert_eq!(closest("X", ["y", "x"]), Some("x"));
        assert_eq!(closest(&"a".repeat(1000), ["a"]), None);
        assert_eq!(did_you_mean("sn", names), "; did you mean `sin`?");
        assert_eq!(did_you_mean("qqq", names), "");
    }
}

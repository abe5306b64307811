//! Lines typed at the prompt of `weft run` and `weft dev`: read as bytes, so a
//! line that is not UTF-8 (or is absurdly long) is reported and skipped, and the
//! lines after it are still read.

use std::io::{BufRead, Read};

/// The longest line the prompt takes: 64 KiB (a command is a few words).
pub const MAX_LINE: usize = 64 * 1024;

/// One line of input.
#[derive(Debug, PartialEq)]
pub enum PromptLine {
    /// A line of text, without its line ending.
    Text(String),
    /// A line that was skipped, and why: `line 2 is not UTF-8; skipped`.
    Skipped(String),
}

/// Reads `input` line by line until it ends, a read fails, or `each` returns
/// false.
pub fn read_lines(mut input: impl BufRead, mut each: impl FnMut(PromptLine) -> bool) {
    let mut number = 0usize;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        number += 1;
        let n = match (&mut input)
            .take(MAX_LINE as u64 + 1)
            .read_until(b'\n', &mut buf)
        {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let line = if buf.last() != Some(&b'\n') && n > MAX_LINE {
            // Drop the rest of the line, however long.
            loop {
                buf.clear();
                match (&mut input)
                    .take(MAX_LINE as u64)
                    .read_until(b'\n', &mut buf)
                {
                    Ok(0) | Err(_) => break,
                    Ok(_) if buf.last() == Some(&b'\n') => break,
                    Ok(_) => {}
                }
            }
            PromptLine::Skipped(format!(
                "line {number} is longer than {} KiB; skipped",
                MAX_LINE / 1024
            ))
        } else {
            let text = buf.strip_suffix(b"\n").unwrap_or(&buf);
            let text = text.strip_suffix(b"\r").unwrap_or(text);
            match std::str::from_utf8(text) {
                Ok(t) => PromptLine::Text(t.to_string()),
                Err(e) => PromptLine::Skipped(format!(
                    "line {number} is not UTF-8 (byte {} of it); skipped",
                    e.valid_up_to() + 1
                )),
            }
        };
        if !each(line) {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8]) -> Vec<PromptLine> {
        let mut out = Vec::new();
        read_lines(bytes, |l| {
            out.push(l);
            true
        });
        out
    }

    #[test]
    fn a_line_that_is_not_utf8_is_skipped_and_reading_goes_on() {
        assert_eq!(
            all(b"info\n\xff\r\ninfo\r\nlast"),
            [
                PromptLine::Text("info".into()),
                PromptLine::Skipped("line 2 is not UTF-8 (byte 1 of it); skipped".into()),
                PromptLine::Text("info".into()),
                PromptLine::Text("last".into()),
            ]
        );
    }

    #[test]
    fn an_absurdly_long_line_is_skipped_whole() {
        let mut input = vec![b'x'; MAX_LINE * 3];
        input.extend_from_slice(b"\nplay\n");
        assert_eq!(
            all(&input),
            [
                PromptLine::Skipped("line 1 is longer than 64 KiB; skipped".into()),
                PromptLine::Text("play".into()),
            ]
        );
    }
}

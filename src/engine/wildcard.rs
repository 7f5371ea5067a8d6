//! PowerShell wildcard matching (`*`, `?`, `[abc]`, `[a-z]`, backtick escapes), case-insensitive,
//! so list filters behave as `-Name` does on the built-in job cmdlets.

#[derive(Debug, PartialEq)]
enum Token {
    Any,
    One,
    Lit(char),
    Set(Vec<(char, char)>),
}

pub struct Pattern {
    tokens: Vec<Token>,
}

/// True when `s` holds a wildcard character PowerShell would act on.
pub fn has_wildcards(s: &str) -> bool {
    let mut esc = false;
    for c in s.chars() {
        if esc {
            esc = false;
        } else if c == '`' {
            esc = true;
        } else if matches!(c, '*' | '?' | '[') {
            return true;
        }
    }
    false
}

impl Pattern {
    pub fn new(pattern: &str) -> Pattern {
        let mut tokens = Vec::new();
        let mut it = pattern.chars().peekable();
        while let Some(c) = it.next() {
            match c {
                '`' => tokens.push(Token::Lit(fold(it.next().unwrap_or('`')))),
                '*' => {
                    if tokens.last() != Some(&Token::Any) {
                        tokens.push(Token::Any)
                    }
                }
                '?' => tokens.push(Token::One),
                '[' => {
                    let mut ranges = Vec::new();
                    let mut closed = false;
                    while let Some(c) = it.next() {
                        if c == ']' {
                            closed = true;
                            break;
                        }
                        let lo = if c == '`' {
                            it.next().unwrap_or('`')
                        } else {
                            c
                        };
                        if it.peek() == Some(&'-') {
                            it.next();
                            match it.next() {
                                Some(']') | None => {
                                    ranges.push((fold(lo), fold(lo)));
                                    ranges.push(('-', '-'));
                                    closed = true;
                                    break;
                                }
                                Some(hi) => ranges.push((fold(lo), fold(hi))),
                            }
                        } else {
                            ranges.push((fold(lo), fold(lo)));
                        }
                    }
                    if closed {
                        tokens.push(Token::Set(ranges));
                    } else {
                        // An unclosed bracket is taken literally rather than rejected.
                        tokens.push(Token::Lit('['));
                        for (lo, _) in ranges {
                            tokens.push(Token::Lit(lo));
                        }
                    }
                }
                c => tokens.push(Token::Lit(fold(c))),
            }
        }
        Pattern { tokens }
    }

    pub fn matches(&self, s: &str) -> bool {
        let s: Vec<char> = s.chars().map(fold).collect();
        // Iterative glob with one backtrack point for the last `*`.
        let (mut p, mut i) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while i < s.len() {
            match self.tokens.get(p) {
                Some(Token::Any) => {
                    star = Some((p, i));
                    p += 1;
                    continue;
                }
                Some(t) if token_matches(t, s[i]) => {
                    p += 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            match star {
                Some((sp, si)) => {
                    p = sp + 1;
                    i = si + 1;
                    star = Some((sp, si + 1));
                }
                None => return false,
            }
        }
        self.tokens[p..].iter().all(|t| *t == Token::Any)
    }
}

fn token_matches(t: &Token, c: char) -> bool {
    match t {
        Token::One => true,
        Token::Lit(l) => *l == c,
        Token::Set(r) => r.iter().any(|(lo, hi)| *lo <= c && c <= *hi),
        Token::Any => true,
    }
}

fn fold(c: char) -> char {
    c.to_lowercase().next().unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn globs() {
        assert!(Pattern::new("My*").matches("myjob"));
        assert!(Pattern::new("*").matches(""));
        assert!(Pattern::new("a?c").matches("ABC"));
        assert!(!Pattern::new("a?c").matches("ac"));
        assert!(Pattern::new("job[0-9]").matches("job7"));
        assert!(!Pattern::new("job[0-9]").matches("jobx"));
        assert!(Pattern::new("a`*b").matches("a*b"));
        assert!(!Pattern::new("a`*b").matches("axb"));
        assert!(Pattern::new("*x*y").matches("axbxcy"));
        assert!(has_wildcards("a*"));
        assert!(!has_wildcards("a`*"));
    }
}

//! Line-based edits of TOML config files that keep their comments (CometBFT's config.toml is
//! a documented file; re-serializing it would drop the documentation operators rely on).

/// Sets `key = value` (value given as TOML source) in `section` (`None`: the top level, before
/// the first header). Replaces the existing line or appends the key to the section.
pub fn set_key(text: &str, section: Option<&str>, key: &str, value: &str) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut done = false;
    let mut section_seen = section.is_none();
    let lines: Vec<&str> = text.lines().collect();
    for line in lines.iter() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') && !trimmed.starts_with("[[") {
            // Leaving the target section without having found the key: append it there.
            if !done && current.as_deref() == section && section_seen {
                out.push(format!("{key} = {value}"));
                done = true;
            }
            current = Some(trimmed.trim_matches(|c| c == '[' || c == ']').to_string());
            if current.as_deref() == section {
                section_seen = true;
            }
        }
        let is_key = trimmed
            .split_once('=')
            .map(|(k, _)| k.trim() == key)
            .unwrap_or(false);
        if !done && is_key && current.as_deref() == section {
            out.push(format!("{key} = {value}"));
            done = true;
            continue;
        }
        out.push((*line).to_string());
    }
    if !done {
        if section_seen && current.as_deref() == section {
            out.push(format!("{key} = {value}"));
        } else if let Some(s) = section {
            out.push(format!("[{s}]"));
            out.push(format!("{key} = {value}"));
        } else {
            out.insert(0, format!("{key} = {value}"));
        }
    }
    let mut s = out.join("\n");
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::set_key;

    #[test]
    fn replaces_in_the_right_section_and_appends() {
        let t = "a = 1\n# doc\n[rpc]\nladdr = \"x\"\n[p2p]\nladdr = \"y\"\n";
        let t2 = set_key(t, Some("p2p"), "laddr", "\"z\"");
        assert!(t2.contains("[rpc]\nladdr = \"x\""));
        assert!(t2.contains("[p2p]\nladdr = \"z\""));
        let t3 = set_key(&t2, Some("rpc"), "new", "1");
        assert!(t3.contains("laddr = \"x\"\nnew = 1\n[p2p]"));
        let t4 = set_key(&t3, None, "a", "2");
        assert!(t4.starts_with("a = 2\n# doc"));
        let t5 = set_key(&t4, Some("storage"), "discard_abci_responses", "false");
        assert!(t5.ends_with("[storage]\ndiscard_abci_responses = false\n"));
        let t6 = set_key(&t5, Some("p2p"), "last", "1");
        assert!(t6.contains("laddr = \"z\"\nlast = 1\n[storage]"));
    }
}

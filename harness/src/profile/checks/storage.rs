//! Where the sessions are kept: JSON files in a `sessions` folder.

use super::*;

pub(super) async fn sessions_folder(cx: &mut Cx) -> Outcome {
    session(cx).await?;
    let mut stack = vec![cx.app_dir.clone()];
    let mut seen = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let in_sessions = path
                .parent()
                .and_then(|p| p.file_name())
                .is_some_and(|n| n.to_string_lossy().to_ascii_lowercase().contains("session"));
            let new = entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|modified| modified >= cx.started);
            if in_sessions && new {
                if path.extension().is_some_and(|e| e == "json") {
                    return Ok(None);
                }
                seen.push(path.strip_prefix(&cx.app_dir).unwrap_or(&path).display().to_string());
            }
        }
    }
    Err(Failure::new("a new .json file in a sessions folder after signing in").got(
        if seen.is_empty() {
            "no new file in any folder named sessions".to_owned()
        } else {
            format!("new files, none of them JSON: {}", seen.join(", "))
        },
    ))
}

use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { Ok(step01::app(&config)) })
}

use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { Ok(step01_solution::app(&config)) })
}

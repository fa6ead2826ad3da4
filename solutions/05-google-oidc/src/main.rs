use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step05_solution::app(&config).await })
}

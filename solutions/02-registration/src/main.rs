use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step02_solution::app(&config).await })
}

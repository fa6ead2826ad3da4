use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step04_solution::app(&config).await })
}

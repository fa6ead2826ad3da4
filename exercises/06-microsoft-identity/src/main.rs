use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step06::app(&config).await })
}

use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step05::app(&config).await })
}

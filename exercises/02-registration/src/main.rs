use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step02::app(&config).await })
}

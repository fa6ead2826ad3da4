use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step03::app(&config).await })
}

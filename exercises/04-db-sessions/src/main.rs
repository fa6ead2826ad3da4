use std::process::ExitCode;

fn main() -> ExitCode {
    kit::serve(|config| async move { step04::app(&config).await })
}

//! The migration function's logic: apply the embedded migrations and, when CodeDeploy invoked it
//! as the pre-traffic hook of a deployment, report the outcome, so that the `live` aliases of the
//! API and the worker move to the new versions only once the schema holds their migrations.
//!
//! CodeDeploy invokes a hook asynchronously and waits (up to an hour) for
//! `PutLifecycleEventHookExecutionStatus`: `Succeeded` lets traffic shift, `Failed` stops the
//! deployment, the aliases stay on the versions that were serving, and CloudFormation rolls the
//! stack back. Once the status is reported the invocation succeeds even if the migration failed:
//! an error would make Lambda retry the asynchronous invocation and report a second time. Only a
//! failed report is an error, so that Lambda's retry gets another chance to deliver it.

use std::fmt::Display;
use std::future::Future;

use aws_sdk_codedeploy::error::DisplayErrorContext;
use aws_sdk_codedeploy::types::LifecycleEventStatus;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use serde::Deserialize;
use serde_json::{Value, json};

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What CodeDeploy sends a lifecycle hook (its other fields are not needed).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Hook {
    pub deployment_id: String,
    pub lifecycle_event_hook_execution_id: String,
}

impl Hook {
    /// The hook `event` is, or `None` for any other invocation (e.g. `aws lambda invoke` by hand).
    pub fn from_event(event: &Value) -> Option<Self> {
        Self::deserialize(event).ok()
    }
}

/// The outcome a hook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Succeeded,
    Failed,
}

/// Where a hook's outcome goes: CodeDeploy on Lambda, a recorder in the tests.
pub trait Lifecycle {
    fn report(
        &self,
        hook: &Hook,
        status: Status,
    ) -> impl Future<Output = Result<(), BoxError>> + Send;
}

/// Migrates with `migrate`, then reports to `lifecycle` if this invocation is a hook.
///
/// A hook answers `{"status": "Succeeded"}` or `{"status": "Failed", "error": …}` once reported;
/// any other invocation answers `{"status": "migrated"}` or fails with the migration's error.
pub async fn handle<E: Display>(
    hook: Option<&Hook>,
    migrate: impl Future<Output = Result<(), E>>,
    lifecycle: &impl Lifecycle,
) -> Result<Value, BoxError> {
    let outcome = migrate.await.map_err(|e| e.to_string());
    match &outcome {
        Ok(()) => tracing::info!("migrations applied"),
        Err(error) => tracing::error!(%error, "migrations failed"),
    }
    let Some(hook) = hook else {
        return match outcome {
            Ok(()) => Ok(json!({ "status": "migrated" })),
            Err(error) => Err(error.into()),
        };
    };
    let status = if outcome.is_ok() {
        Status::Succeeded
    } else {
        Status::Failed
    };
    lifecycle.report(hook, status).await?;
    tracing::info!(deployment = %hook.deployment_id, ?status, "reported to CodeDeploy");
    Ok(match outcome {
        Ok(()) => json!({ "status": "Succeeded" }),
        Err(error) => json!({ "status": "Failed", "error": error }),
    })
}

/// CodeDeploy's API, with the credentials and region Lambda gives the function.
#[derive(Debug, Clone)]
pub struct CodeDeploy(aws_sdk_codedeploy::Client);

impl CodeDeploy {
    /// A client over rustls with ring; `AWS_ENDPOINT_URL` overrides the endpoint (e.g. a VPC
    /// endpoint's DNS name, or a stand-in in tests).
    pub async fn from_env() -> Self {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
            .load()
            .await;
        Self(aws_sdk_codedeploy::Client::new(&config))
    }
}

impl Lifecycle for CodeDeploy {
    async fn report(&self, hook: &Hook, status: Status) -> Result<(), BoxError> {
        let status = match status {
            Status::Succeeded => LifecycleEventStatus::Succeeded,
            Status::Failed => LifecycleEventStatus::Failed,
        };
        self.0
            .put_lifecycle_event_hook_execution_status()
            .deployment_id(&hook.deployment_id)
            .lifecycle_event_hook_execution_id(&hook.lifecycle_event_hook_execution_id)
            .status(status)
            .send()
            .await
            .map_err(|e| format!("cannot report to CodeDeploy: {}", DisplayErrorContext(e)))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::future::{Ready, ready};
    use std::sync::Mutex;

    use super::*;

    /// Records what would have gone to CodeDeploy; fails every report when `down`.
    #[derive(Default)]
    struct Recorder {
        reports: Mutex<Vec<(Hook, Status)>>,
        down: bool,
    }

    impl Lifecycle for Recorder {
        async fn report(&self, hook: &Hook, status: Status) -> Result<(), BoxError> {
            if self.down {
                return Err("CodeDeploy unreachable".into());
            }
            self.reports
                .lock()
                .map_err(|e| e.to_string())?
                .push((hook.clone(), status));
            Ok(())
        }
    }

    fn hook() -> Hook {
        Hook::from_event(&json!({
            "DeploymentId": "d-ABCDEF123",
            "LifecycleEventHookExecutionId": "execution-1",
            "LifecycleEvent": "BeforeAllowTraffic"
        }))
        .expect("a CodeDeploy hook event")
    }

    fn migrated() -> Ready<Result<(), String>> {
        ready(Ok(()))
    }

    fn broken() -> Ready<Result<(), String>> {
        ready(Err(
            "migration 20240101000000 failed: relation already exists".to_owned(),
        ))
    }

    fn reports(recorder: &Recorder) -> Vec<(Hook, Status)> {
        recorder.reports.lock().expect("not poisoned").clone()
    }

    #[test]
    fn only_a_codedeploy_event_is_a_hook() {
        assert_eq!(hook().deployment_id, "d-ABCDEF123");
        assert_eq!(Hook::from_event(&json!({})), None);
        assert_eq!(Hook::from_event(&json!({ "DeploymentId": "d-1" })), None);
    }

    #[tokio::test]
    async fn a_hook_whose_migrations_succeed_lets_traffic_shift() {
        let recorder = Recorder::default();
        let answer = handle(Some(&hook()), migrated(), &recorder)
            .await
            .expect("reported");
        assert_eq!(answer, json!({ "status": "Succeeded" }));
        assert_eq!(reports(&recorder), [(hook(), Status::Succeeded)]);
    }

    #[tokio::test]
    async fn a_failed_migration_reports_failed_and_the_invocation_succeeds() {
        let recorder = Recorder::default();
        let answer = handle(Some(&hook()), broken(), &recorder)
            .await
            .expect("reported");
        assert_eq!(answer["status"], "Failed");
        assert!(
            answer["error"]
                .as_str()
                .is_some_and(|e| e.contains("20240101000000")),
            "{answer}"
        );
        assert_eq!(reports(&recorder), [(hook(), Status::Failed)]);
    }

    #[tokio::test]
    async fn a_report_that_cannot_be_delivered_fails_the_invocation_so_lambda_retries() {
        let recorder = Recorder {
            down: true,
            ..Recorder::default()
        };
        let error = handle(Some(&hook()), migrated(), &recorder)
            .await
            .expect_err("not reported");
        assert!(error.to_string().contains("unreachable"), "{error}");
    }

    #[tokio::test]
    async fn a_manual_invocation_migrates_without_reporting() {
        let recorder = Recorder::default();
        let answer = handle(None, migrated(), &recorder).await.expect("migrated");
        assert_eq!(answer, json!({ "status": "migrated" }));
        let error = handle(None, broken(), &recorder)
            .await
            .expect_err("migration failed");
        assert!(error.to_string().contains("20240101000000"), "{error}");
        assert!(reports(&recorder).is_empty());
    }
}

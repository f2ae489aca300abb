package enrich_test

import (
	"slices"
	"testing"

	"github.com/aitdr/aitdr/enrich"
	"github.com/aitdr/aitdr/schemas"
)

// TestClassifyGoldens shows the class, confidence and evidence the stage
// gives the identity of one event from every ingest source (the sources'
// golden events), with the test directory, environments and
// classification: agents on roles, service accounts, API and gateway
// keys; builders training, deploying and holding AI platform keys; users
// of AI apps and APIs; people and services with no AI activity; and what
// the evidence does not decide. It also shows the owner and team from the
// directory, the identity's environment and the AI service's status.
func TestClassifyGoldens(t *testing.T) {
	lk := lookups(t, testConfig())
	tests := []struct {
		golden     string
		index      int
		class      schemas.IdentityClass
		confidence float64
		evidence   []string
		owner      string
		team       string
		env        schemas.Environment
		status     schemas.AIServiceStatus
	}{
		{"cloudtrail/bedrock_invoke_model", 0, schemas.ClassAIAgent, 0.84, []string{
			"runs models on Amazon Bedrock (InvokeModel)",
			"source reports a non-human principal (aws AssumedRole)",
			"calls APIs from an SDK or script (Boto3)",
		}, "", "", "prod", "sanctioned"},
		{"cloudtrail/bedrock_converse_stream_agent", 0, schemas.ClassAIAgent, 0.84, []string{
			"runs models on Amazon Bedrock (ConverseStream)",
			"source reports an agent (aws AssumedRole)",
		}, "", "", "prod", "sanctioned"},
		{"cloudtrail/bedrock_converse_inference_profile", 0, schemas.ClassAIUser, 0.9, []string{
			"runs models on Amazon Bedrock (Converse)",
			"source reports a person (aws AssumedRole)",
			"signs in interactively (console session)",
			"uses a web browser (Mozilla)",
		}, "", "", "prod", "sanctioned"},
		{"cloudtrail/bedrock_invoke_model_stream_access_key", 0, schemas.ClassAIAgent, 0.76, []string{
			"runs models on Amazon Bedrock (InvokeModelWithResponseStream)",
			"has a service account's name (svc-llm-batch)",
			"calls APIs from an SDK or script (python-requests)",
		}, "marco.rossi@acme.example", "Support Automation", "prod", "sanctioned"},
		{"cloudtrail/bedrock_list_foundation_models_denied", 0, schemas.ClassService, 0.48, []string{
			"administers Amazon Bedrock (ListFoundationModels)",
			"has a service account's name (svc-llm-batch)",
			"calls APIs from an SDK or script (python-requests)",
			"no AI activity seen yet",
		}, "marco.rossi@acme.example", "Support Automation", "prod", "sanctioned"},
		{"cloudtrail/sagemaker_create_training_job", 0, schemas.ClassAIAgent, 0.79, []string{
			"builds AI on Amazon SageMaker (CreateTrainingJob)",
			"source reports a non-human principal (aws AssumedRole)",
			"calls APIs from an SDK or script (aws-sdk-python)",
		}, "", "", "prod", "sanctioned"},
		{"cloudtrail/sagemaker_create_endpoint_dev_role", 0, schemas.ClassAIAgent, 0.79, []string{
			"builds AI on Amazon SageMaker (CreateEndpoint)",
			"source reports a non-human principal (aws AssumedRole)",
			"calls APIs from an SDK or script (Boto3)",
		}, "", "", "dev", "sanctioned"},
		{"cloudtrail/iam_create_user", 0, schemas.ClassHuman, 0.55, []string{
			"listed in the directory as priya.natarajan@acme.example",
			"has a person's name (priya.natarajan)",
			"no AI activity seen yet",
		}, "priya.natarajan@acme.example", "ML Platform", "prod", ""},
		{"cloudtrail/signin_console_login_mfa", 0, schemas.ClassHuman, 0.58, []string{
			"listed in the directory as dana.lee@acme.example",
			"source reports a person (aws IAMUser)",
			"signs in interactively (mfa)",
			"uses a web browser (Mozilla)",
			"no AI activity seen yet",
		}, "dana.lee@acme.example", "Cloud Security", "prod", ""},
		{"cloudtrail/kms_decrypt_aws_service", 0, schemas.ClassService, 0.48, []string{
			"source reports a non-human principal (aws AWSService)",
			"no AI activity seen yet",
		}, "", "", "prod", ""},
		{"cloudtrail/s3_get_object_cross_account", 0, schemas.ClassUnknown, 0.24, []string{
			"not known whether a person or a service",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"okta/sso_chatgpt_enterprise", 0, schemas.ClassAIUser, 0.86, []string{
			"signs in to ChatGPT (user.authentication.sso)",
			"source reports a person (okta User)",
			"signs in interactively (sso)",
			"uses a web browser (Mozilla)",
		}, "", "", "", "shadow"},
		{"okta/sso_personal_account", 0, schemas.ClassAIUser, 0.86, []string{
			"signs in to Claude (user.authentication.sso)",
			"source reports a person (okta User)",
			"signs in interactively (sso)",
			"uses a web browser (Mozilla)",
		}, "", "", "", "shadow"},
		{"okta/app_membership_add_chatgpt", 0, schemas.ClassHuman, 0.53, []string{
			"source reports a person (okta User)",
			"uses a web browser (Mozilla)",
			"no AI activity seen yet",
		}, "", "", "", "shadow"},
		{"okta/oauth2_token_grant_client_credentials", 0, schemas.ClassService, 0.53, []string{
			"source reports a non-human principal (okta PublicClientApp)",
			"calls APIs from an SDK or script (python-requests)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"okta/session_start_success", 0, schemas.ClassHuman, 0.58, []string{
			"listed in the directory as dana.lee@acme.example",
			"source reports a person (okta User)",
			"signs in interactively (password)",
			"uses a web browser (Mozilla)",
			"no AI activity seen yet",
		}, "dana.lee@acme.example", "Cloud Security", "", ""},
		{"entra/graph_signin_interactive_chatgpt", 0, schemas.ClassAIUser, 0.87, []string{
			"signs in to ChatGPT (signIn.interactiveUser)",
			"listed in the directory as priya.natarajan@acme.example",
			"source reports a person (entra User)",
			"signs in interactively (mfa)",
			"uses a web browser (Mozilla)",
		}, "priya.natarajan@acme.example", "ML Platform", "", "shadow"},
		{"entra/monitor_noninteractive_signin", 0, schemas.ClassAIBuilder, 0.87, []string{
			"builds AI on Azure Machine Learning (signIn.nonInteractiveUser)",
			"listed in the directory as priya.natarajan@acme.example",
			"source reports a person (entra User)",
			"signs in interactively (mfa)",
		}, "priya.natarajan@acme.example", "ML Platform", "", "sanctioned"},
		{"entra/monitor_managed_identity_signin", 0, schemas.ClassService, 0.53, []string{
			"source reports a non-human principal (entra ManagedIdentity)",
			"authenticates with a machine credential (workload_identity)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"entra/monitor_signin_personal_account", 0, schemas.ClassHuman, 0.57, []string{
			"source reports a person (entra User)",
			"signs in interactively (password)",
			"uses a web browser (Mozilla)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"gcpaudit/vertex_create_training_pipeline", 0, schemas.ClassAIBuilder, 0.87, []string{
			"builds AI on Vertex AI (google.cloud.aiplatform.ui.PipelineService.CreateTrainingPipeline)",
			"listed in the directory as priya.natarajan@acme.example",
			"source reports a person (gcp User)",
			"uses a web browser (Mozilla)",
		}, "priya.natarajan@acme.example", "ML Platform", "", "sanctioned"},
		{"gcpaudit/vertex_predict_impersonated", 0, schemas.ClassAIAgent, 0.84, []string{
			"runs models on Vertex AI (google.cloud.aiplatform.v1.PredictionService.Predict)",
			"source reports a non-human principal (gcp ServiceAccount)",
			"calls APIs from an SDK or script (grpc-python)",
		}, "", "", "prod", "sanctioned"},
		{"gcpaudit/vertex_predict_permission_denied", 0, schemas.ClassAIUser, 0.76, []string{
			"runs models on Vertex AI (google.cloud.aiplatform.v1.PredictionService.RawPredict)",
			"source reports a person (gcp User)",
		}, "", "", "", "shadow"},
		{"gcpaudit/set_iam_policy_project", 0, schemas.ClassHuman, 0.58, []string{
			"listed in the directory as dana.lee@acme.example",
			"source reports a person (gcp User)",
			"no AI activity seen yet",
		}, "dana.lee@acme.example", "Cloud Security", "", ""},
		{"gcpaudit/storage_object_get", 0, schemas.ClassService, 0.48, []string{
			"source reports a non-human principal (gcp ServiceAccount)",
			"no AI activity seen yet",
		}, "", "", "dev", ""},
		{"github/git_push_agent", 0, schemas.ClassAIAgent, 0.75, []string{
			"acts through GitHub Copilot (git.push)",
			"source reports an agent (github Bot)",
		}, "", "", "", "shadow"},
		{"github/copilot_seat_assignment_created", 0, schemas.ClassHuman, 0.53, []string{
			"administers GitHub Copilot (copilot.cfb_seat_assignment_created)",
			"source reports a person (github User)",
			"uses a web browser (Mozilla)",
			"no AI activity seen yet",
		}, "", "", "", "shadow"},
		{"github/git_clone", 0, schemas.ClassHuman, 0.48, []string{
			"source reports a person (github User)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"github/repo_create", 0, schemas.ClassHuman, 0.58, []string{
			"listed in the directory as jkim@acme.example",
			"source reports a person (github User)",
			"no AI activity seen yet",
		}, "jkim@acme.example", "Applied AI", "", ""},
		{"github/workflows_completed_workflow_run", 0, schemas.ClassService, 0.48, []string{
			"source reports a non-human principal (github Bot)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"k8saudit/pytorchjob_create", 0, schemas.ClassAIBuilder, 0.72, []string{
			"builds AI on Kubeflow (create pytorchjobs)",
			"source reports a person (kubernetes User)",
		}, "", "", "", "sanctioned"},
		{"k8saudit/seldondeployment_create", 0, schemas.ClassAIAgent, 0.72, []string{
			"builds AI on Seldon Core (create seldondeployments)",
			"source reports a non-human principal (kubernetes ServiceAccount)",
		}, "", "", "", "sanctioned"},
		{"k8saudit/namespace_delete_certificate", 0, schemas.ClassUnknown, 0.24, []string{
			"not known whether a person or a service",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"k8saudit/secret_get_service_account", 0, schemas.ClassService, 0.53, []string{
			"source reports a non-human principal (kubernetes ServiceAccount)",
			"calls APIs from an SDK or script (python-kubernetes)",
			"no AI activity seen yet",
		}, "", "", "", ""},
		{"openai/api_key_created", 0, schemas.ClassAIBuilder, 0.78, []string{
			"manages API keys of OpenAI API (api_key.created)",
			"listed in the directory as marco.rossi@acme.example",
			"source reports a person (openai user)",
			"uses a web browser (Mozilla)",
		}, "marco.rossi@acme.example", "Support Automation", "", "shadow"},
		{"openai/usage_completions_row", 0, schemas.ClassAIAgent, 0.84, []string{
			"runs models on OpenAI API (usage.completions)",
			"source reports a non-human principal (openai api_key)",
			"authenticates with a machine credential (api_key)",
		}, "", "", "", "shadow"},
		{"openai/login_failed", 0, schemas.ClassHuman, 0.57, []string{
			"listed in the directory as priya.natarajan@acme.example",
			"source reports a person (openai user)",
			"no AI activity seen yet",
		}, "priya.natarajan@acme.example", "ML Platform", "", "shadow"},
		{"openai/checkpoint_permission_created", 0, schemas.ClassAIAgent, 0.79, []string{
			"builds AI on OpenAI API (checkpoint.permission.created)",
			"source reports a non-human principal (openai service_account)",
			"authenticates with a machine credential (api_key)",
		}, "", "", "", "shadow"},
		{"anthropic/usage_claude_code_user", 0, schemas.ClassAIUser, 0.76, []string{
			"runs models on Claude Code (usage_report.claude_code)",
			"source reports a person (anthropic user_actor)",
		}, "", "", "", "shadow"},
		{"anthropic/activity_admin_api_key_created", 0, schemas.ClassAIAgent, 0.74, []string{
			"manages API keys of Anthropic API (admin_api_key_created)",
			"source reports a non-human principal (anthropic admin_api_key_actor)",
			"calls APIs from an SDK or script (python-httpx)",
			"authenticates with a machine credential (api_key)",
		}, "", "", "", "shadow"},
		{"anthropic/activity_file_uploaded", 0, schemas.ClassAIUser, 0.68, []string{
			"acts through Claude (claude_file_uploaded)",
			"source reports a person (anthropic user_actor)",
		}, "", "", "", "shadow"},
		{"anthropic/admin_user", 0, schemas.ClassHuman, 0.58, []string{
			"administers Anthropic API (user.added)",
			"listed in the directory as lena.kim@acme.example",
			"source reports a person (anthropic user)",
			"no AI activity seen yet",
		}, "lena.kim@acme.example", "Engineering", "", "shadow"},
		{"aigateway/litellm_payload_agent_key", 0, schemas.ClassAIAgent, 0.9, []string{
			"runs models on Amazon Bedrock (acompletion, through gateway litellm)",
			"source reports an agent (litellm virtual_key)",
			"calls APIs from an SDK or script (OpenAI)",
			"authenticates with a machine credential (api_key)",
		}, "marco.rossi@acme.example", "Support Automation", "", "sanctioned"},
		{"aigateway/litellm_personal_gmail_user", 0, schemas.ClassAIUser, 0.66, []string{
			"runs models on OpenAI API (completion, through gateway litellm)",
			"source reports a person (litellm internal_user)",
		}, "", "", "", "shadow"},
		{"aigateway/generic_proxy_chat", 0, schemas.ClassAIUser, 0.66, []string{
			"runs models on OpenAI API (/v1/chat/completions, through gateway kong-ai-prod)",
			"source reports a person (gateway internal_user)",
		}, "", "", "", "shadow"},
		{"aigateway/litellm_mcp_tool_call", 0, schemas.ClassAIAgent, 0.78, []string{
			"acts through LiteLLM (call_mcp_tool, through gateway litellm)",
			"source reports an agent (litellm virtual_key)",
			"authenticates with a machine credential (api_key)",
		}, "lena.kim@acme.example", "Engineering", "", "sanctioned"},
		{"aigateway/litellm_spendlog_chat", 0, schemas.ClassAIUser, 0.9, []string{
			"runs models on Azure OpenAI (acompletion, through gateway litellm)",
			"listed in the directory as priya.natarajan@acme.example",
			"source reports a person (litellm internal_user)",
		}, "priya.natarajan@acme.example", "ML Platform", "", "sanctioned"},
	}
	sources := map[schemas.Product]bool{}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			ev := golden(t, tt.golden)[tt.index]
			sources[ev.Source.Product] = true
			x := enrich.NewEnricher(testConfig(), fixed(lk))
			x.Enrich(ev, 0, -1)
			en := ev.Enrichment
			if en.Class != tt.class || en.ClassConfidence != tt.confidence {
				t.Errorf("class %s %.2f, want %s %.2f", en.Class, en.ClassConfidence, tt.class, tt.confidence)
			}
			if !slices.Equal(en.ClassEvidence, tt.evidence) {
				t.Errorf("evidence\n %q\nwant\n %q", en.ClassEvidence, tt.evidence)
			}
			if en.Owner != tt.owner || en.Team != tt.team || en.Environment != tt.env || en.AIServiceStatus != tt.status {
				t.Errorf("owner %q team %q environment %q status %q, want %q %q %q %q",
					en.Owner, en.Team, en.Environment, en.AIServiceStatus, tt.owner, tt.team, tt.env, tt.status)
			}
			if want := string(tt.class); tt.team != "" {
				want += "/" + tt.team
				if en.PeerGroup != want {
					t.Errorf("peer group %q, want %q", en.PeerGroup, want)
				}
			}
			// The inventory row says the same as the event.
			row := x.Identity(ev.Identity.ID).Identity
			if row.Class != en.Class || !slices.Equal(row.ClassEvidence, en.ClassEvidence) || row.Owner != en.Owner {
				t.Errorf("inventory row %s %q %q differs from the enrichment", row.Class, row.ClassEvidence, row.Owner)
			}
		})
	}
	for _, p := range schemas.Products() {
		if !sources[p] {
			t.Errorf("no case from source %s", p)
		}
	}
}

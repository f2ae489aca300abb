// Package kubernetes holds the Kubernetes deployment of aitdr: a kustomize
// base (a Deployment per stage, KEDA scaling on consumer lag, ConfigMaps for
// the configuration, rules and playbooks, probes, PodDisruptionBudgets, a
// ServiceMonitor, NetworkPolicies, the provision Job), overlays for a small
// and a larger production, and the ClickHouse cluster layout with its DDL.
// It has no code; its tests render every overlay as "kubectl apply -k"
// would and check the objects against each other and against the aitdr
// binary, since no cluster runs in CI.
package kubernetes

package responder

import (
	"slices"

	"github.com/aitdr/aitdr/schemas/ocsf"
)

var actionKinds = []ActionKind{
	ActionDisableAccount, ActionRevokeSessions, ActionRevokeKeys, ActionDenyAll, ActionDeleteLoginProfile,
	ActionQuarantineTag, ActionRemoveRoleBindings, ActionRemoveCollaborator, ActionWebhook, ActionNotify,
}

// ActionKinds returns every containment step a playbook may order.
func ActionKinds() []ActionKind { return slices.Clone(actionKinds) }

// Valid reports whether k is one of the ActionKind constants.
func (k ActionKind) Valid() bool { return slices.Contains(actionKinds, k) }

// Contains reports whether k changes something at a provider (everything
// but ActionNotify). Containment steps follow the class policy, dry run,
// protected identities and blast-radius limits; notifications always run.
func (k ActionKind) Contains() bool { return k != ActionNotify }

// Response returns the alert-level action k reports as in an alert's
// unmapped.aitdr.response: steps that take permissions away report as
// disable_account, webhooks and notifications as notify_soc.
func (k ActionKind) Response() ocsf.ResponseKind {
	switch k {
	case ActionRevokeSessions:
		return ocsf.ResponseRevokeSessions
	case ActionRevokeKeys:
		return ocsf.ResponseRevokeKeys
	case ActionWebhook, ActionNotify:
		return ocsf.ResponseNotifySOC
	}
	return ocsf.ResponseDisableAccount
}

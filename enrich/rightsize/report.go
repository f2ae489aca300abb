package rightsize

import "time"

// Report is one rightsizing run: per identity, the permissions granted
// against those used over the window and the least-privilege change, in
// the order to apply them (agents, builders, users, then the rest); per
// class, for the AI identities and overall, the attack surface the
// recommendations remove.
type Report struct {
	GeneratedAt time.Time `json:"generated_at"`
	WindowStart time.Time `json:"window_start"`
	WindowEnd   time.Time `json:"window_end"`
	// MinDays and MinEvents are the trust thresholds of the run.
	MinDays   int   `json:"min_days"`
	MinEvents int64 `json:"min_events"`
	// AI sums the AI identities (ai_agent, ai_builder, ai_user): the
	// mission's measure.
	AI      Totals        `json:"ai"`
	Overall Totals        `json:"overall"`
	Classes []ClassTotals `json:"classes"`
	// Identities are in priority order.
	Identities []Identity `json:"identities"`
}

// Totals sums identities.
type Totals struct {
	Identities int `json:"identities"`
	// Trusted counts identities observed long enough.
	Trusted          int   `json:"trusted"`
	Granted          int64 `json:"granted"`
	Used             int64 `json:"used"`
	Unused           int64 `json:"unused"`
	SensitiveGranted int64 `json:"sensitive_granted"`
	SensitiveUnused  int64 `json:"sensitive_unused"`
	// Removable is what the trusted recommendations remove.
	Removable          int64 `json:"removable"`
	SensitiveRemovable int64 `json:"sensitive_removable"`
	// UnusedShare is Unused / Granted.
	UnusedShare float64 `json:"unused_share"`
	// Reduction is the attack-surface reduction available if the
	// recommendations are applied: Removable / Granted.
	Reduction float64 `json:"reduction"`
	// SensitiveReduction is SensitiveRemovable / SensitiveGranted.
	SensitiveReduction float64 `json:"sensitive_reduction"`
}

// ClassTotals are the totals of one class.
type ClassTotals struct {
	Class string `json:"class"`
	Totals
}

// Identity is one identity's rightsizing.
type Identity struct {
	// Priority is its rank in the order recommendations apply, from 1.
	Priority int    `json:"priority"`
	ID       string `json:"identity_id"`
	Provider string `json:"provider"`
	Class    string `json:"class"`
	Kind     string `json:"kind,omitempty"`

	Granted          int     `json:"granted"`
	Used             int     `json:"used"`
	Unused           int     `json:"unused"`
	UnusedShare      float64 `json:"unused_share"`
	SensitiveGranted int     `json:"sensitive_granted"`
	SensitiveUnused  int     `json:"sensitive_unused"`
	// Removable is Unused when the window is trusted, else 0.
	Removable          int `json:"removable"`
	SensitiveRemovable int `json:"sensitive_removable"`
	// UsedNotGranted counts permissions used that no snapshot grants.
	UsedNotGranted int `json:"used_not_granted"`

	// Events are its successful events in the window; UnmappedEvents
	// those whose action the mapping does not know (Unmapped lists them).
	Events         int64     `json:"events"`
	UnmappedEvents int64     `json:"unmapped_events"`
	Unmapped       []string  `json:"unmapped,omitempty"`
	FirstEvent     time.Time `json:"first_event"`
	LastEvent      time.Time `json:"last_event"`
	ObservedDays   float64   `json:"observed_days"`

	Trusted         bool   `json:"trusted"`
	UntrustedReason string `json:"untrusted_reason,omitempty"`

	SensitiveUnusedList []string       `json:"sensitive_unused_permissions,omitempty"`
	Permissions         []Permission   `json:"permissions"`
	Recommendation      Recommendation `json:"recommendation"`
}

// Permission is one permission of an identity: granted, used or both.
type Permission struct {
	Name        string    `json:"permission"`
	Granted     bool      `json:"granted"`
	Used        bool      `json:"used"`
	Uses        int64     `json:"uses"`
	LastUsed    time.Time `json:"last_used"`
	Sensitive   string    `json:"sensitive,omitempty"`
	AccessLevel string    `json:"access_level,omitempty"`
	// Kept is true when the recommendation keeps it.
	Kept             bool     `json:"kept"`
	GrantedResources []string `json:"granted_resources,omitempty"`
	UsedResources    []string `json:"used_resources,omitempty"`
	// ManyResources is true when it was used on more resources than
	// UsedResources lists.
	ManyResources bool     `json:"many_resources,omitempty"`
	GrantedVia    []string `json:"granted_via,omitempty"`
	Policies      []string `json:"policies,omitempty"`
}

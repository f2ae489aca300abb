package schemas

// MessagePack code generation for the types of this file (features_gen.go),
// with the same conventions as event.go.
//
//msgp:tag json
//msgp:limit arrays:100000 maps:100000

// Features is what the baseline stage computed for an event against the
// identity's own rolling baseline and its peer group, for rules to ask "is
// this 10x normal for this identity?". It is the starting contract of the
// baseline stage, which documents how each feature is computed and may add
// fields, never remove or redefine them.
//
// Ratios are observed / baseline (1 is normal, 10 is ten times normal, 0
// means nothing observed); z-scores are (observed - mean) / standard
// deviation. A zero value means not computed as well as zero: check
// Available and Learning before trusting anomaly features.
type Features struct {
	// Available is true when the baseline stage computed the features.
	Available bool `json:"available,omitempty" expr:"available"`
	// UnavailableReason says why features were not computed: "no_identity",
	// "absurd_time", "late_event".
	UnavailableReason string `json:"unavailable_reason,omitempty" expr:"unavailable_reason"`
	// Learning is true while the identity is in its learning period: its
	// own history is too short for its anomaly features to count, and the
	// peer features carry the comparison.
	Learning bool `json:"learning,omitempty" expr:"learning"`
	// BaselineEvents is the number of events folded into the identity's
	// baseline before this one.
	BaselineEvents int64 `json:"baseline_events,omitempty" expr:"baseline_events"`

	// RateRatio is the identity's event rate over each horizon against its
	// baseline rate.
	RateRatio Horizons `json:"rate_ratio,omitzero" expr:"rate_ratio"`
	// RateZ is the z-score of the event rate over each horizon.
	RateZ Horizons `json:"rate_z,omitzero" expr:"rate_z"`
	// BytesRatio is the bytes moved (in + out) over each horizon against
	// the baseline.
	BytesRatio Horizons `json:"bytes_ratio,omitzero" expr:"bytes_ratio"`
	// BytesZ is the z-score of the bytes moved over each horizon.
	BytesZ Horizons `json:"bytes_z,omitzero" expr:"bytes_z"`
	// RecordsRatio is the records touched over each horizon against the
	// baseline.
	RecordsRatio Horizons `json:"records_ratio,omitzero" expr:"records_ratio"`
	// RecordsZ is the z-score of the records touched over each horizon.
	RecordsZ Horizons `json:"records_z,omitzero" expr:"records_z"`
	// TokensRatio is the model tokens (in + out) over each horizon against
	// the baseline.
	TokensRatio Horizons `json:"tokens_ratio,omitzero" expr:"tokens_ratio"`
	// TokensZ is the z-score of the model tokens over each horizon.
	TokensZ Horizons `json:"tokens_z,omitzero" expr:"tokens_z"`
	// CategoryRateRatio is the rate of events of this event's category for
	// the identity, over each horizon, against the baseline of that category.
	CategoryRateRatio Horizons `json:"category_rate_ratio,omitzero" expr:"category_rate_ratio"`
	// VolumePercentile is the percentile rank (0 to 100) of this event's
	// volume among the identity's recent events.
	VolumePercentile float64 `json:"volume_percentile,omitempty" expr:"volume_percentile"`

	// HourTypicality is the share (0 to 1) of the identity's activity that
	// falls in this event's hour of the week, relative to its busiest hour.
	HourTypicality float64 `json:"hour_typicality,omitempty" expr:"hour_typicality"`
	// AfterHours is true when the hour is atypical for this identity (not
	// for the company).
	AfterHours bool `json:"after_hours,omitempty" expr:"after_hours"`
	// PeerRateRatio is the identity's 1-hour event rate against its peer
	// group's mean.
	PeerRateRatio float64 `json:"peer_rate_ratio,omitempty" expr:"peer_rate_ratio"`
	// PeerVolumeRatio is the identity's 1-hour volume against its peer
	// group's mean.
	PeerVolumeRatio float64 `json:"peer_volume_ratio,omitempty" expr:"peer_volume_ratio"`

	// IsNewAction is true when the identity never did this action before.
	IsNewAction bool `json:"is_new_action,omitempty" expr:"is_new_action"`
	// IsNewResource is true when the identity never touched this target.
	IsNewResource bool `json:"is_new_resource,omitempty" expr:"is_new_resource"`
	// IsNewSourceIP is true when the identity never came from this address.
	IsNewSourceIP bool `json:"is_new_source_ip,omitempty" expr:"is_new_source_ip"`
	// IsNewASN is true when the identity never came from this network.
	IsNewASN bool `json:"is_new_asn,omitempty" expr:"is_new_asn"`
	// IsNewCountry is true when the identity never came from this country.
	IsNewCountry bool `json:"is_new_country,omitempty" expr:"is_new_country"`
	// IsNewUserAgent is true when the identity never used this client.
	IsNewUserAgent bool `json:"is_new_user_agent,omitempty" expr:"is_new_user_agent"`
	// IsNewModel is true when the identity never used this model.
	IsNewModel bool `json:"is_new_model,omitempty" expr:"is_new_model"`
	// IsNewAIService is true when the identity never used this AI service.
	IsNewAIService bool `json:"is_new_ai_service,omitempty" expr:"is_new_ai_service"`
	// IsNewTenant is true when the identity never reached this tenant or
	// account.
	IsNewTenant bool `json:"is_new_tenant,omitempty" expr:"is_new_tenant"`
	// IsNewEnvironment is true when the identity never reached this
	// environment.
	IsNewEnvironment bool `json:"is_new_environment,omitempty" expr:"is_new_environment"`
	// DaysSinceFirstSeen is, for each first-seen set, how many days ago
	// the identity first showed this event's value (0 when new).
	DaysSinceFirstSeen FirstSeenDays `json:"days_since_first_seen,omitzero" expr:"days_since_first_seen"`

	// Replayed is true when the event had already been folded into the
	// baseline before a restart and is delivered again: its features are
	// computed against the baseline that already holds it.
	Replayed bool `json:"replayed,omitempty" expr:"replayed"`
	// IdleDays is the event time since the identity's previous newest
	// event, in days (0 for its first event or an out-of-order one).
	IdleDays float64 `json:"idle_days,omitempty" expr:"idle_days"`
	// WindowEvents is the identity's event count over each horizon, this
	// event included: the observed value of RateRatio.
	WindowEvents Horizons `json:"window_events,omitzero" expr:"window_events"`
	// WindowBytes is the bytes moved (in + out) over each horizon: the
	// observed value of BytesRatio.
	WindowBytes Horizons `json:"window_bytes,omitzero" expr:"window_bytes"`
	// WindowRecords is the records touched over each horizon: the observed
	// value of RecordsRatio.
	WindowRecords Horizons `json:"window_records,omitzero" expr:"window_records"`
	// WindowTokens is the model tokens (in + out) over each horizon: the
	// observed value of TokensRatio.
	WindowTokens Horizons `json:"window_tokens,omitzero" expr:"window_tokens"`
	// CategoryRateZ is the z-score of the rate of events of this event's
	// category over each horizon.
	CategoryRateZ Horizons `json:"category_rate_z,omitzero" expr:"category_rate_z"`
	// CategoryBytesRatio is the bytes moved by events of this event's
	// category over each horizon against the baseline of that category.
	CategoryBytesRatio Horizons `json:"category_bytes_ratio,omitzero" expr:"category_bytes_ratio"`
}

// Horizons holds one measure over the baseline horizons. Rule expressions
// name the horizons m5, h1 and d1 (expr tags), since their JSON names are
// not identifiers.
type Horizons struct {
	// M5 is the measure over the last 5 minutes.
	M5 float64 `json:"5m,omitempty" expr:"m5"`
	// H1 is the measure over the last hour.
	H1 float64 `json:"1h,omitempty" expr:"h1"`
	// D1 is the measure over the last day.
	D1 float64 `json:"1d,omitempty" expr:"d1"`
}

// FirstSeenDays holds, for each first-seen set, the days since the identity
// first showed the event's value.
type FirstSeenDays struct {
	// Action is the days since the identity first did this action.
	Action float64 `json:"action,omitempty" expr:"action"`
	// Resource is the days since the identity first touched this target.
	Resource float64 `json:"resource,omitempty" expr:"resource"`
	// SourceIP is the days since the identity first came from this address.
	SourceIP float64 `json:"source_ip,omitempty" expr:"source_ip"`
	// ASN is the days since the identity first came from this network.
	ASN float64 `json:"asn,omitempty" expr:"asn"`
	// Country is the days since the identity first came from this country.
	Country float64 `json:"country,omitempty" expr:"country"`
	// UserAgent is the days since the identity first used this client.
	UserAgent float64 `json:"user_agent,omitempty" expr:"user_agent"`
	// Model is the days since the identity first used this model.
	Model float64 `json:"model,omitempty" expr:"model"`
	// AIService is the days since the identity first used this AI service.
	AIService float64 `json:"ai_service,omitempty" expr:"ai_service"`
	// Tenant is the days since the identity first reached this tenant.
	Tenant float64 `json:"tenant,omitempty" expr:"tenant"`
	// Environment is the days since the identity first reached this
	// environment.
	Environment float64 `json:"environment,omitempty" expr:"environment"`
}

// IsZero reports whether f holds no features.
func (f Features) IsZero() bool { return f == Features{} }

// IsZero reports whether h holds no measure.
func (h Horizons) IsZero() bool { return h == Horizons{} }

// IsZero reports whether d holds no ages.
func (d FirstSeenDays) IsZero() bool { return d == FirstSeenDays{} }

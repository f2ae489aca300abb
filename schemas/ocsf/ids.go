package ocsf

import "strconv"

// Version is the OCSF schema version the alerts follow (metadata.version).
const Version = "1.3.0"

// ContentType is the HeaderContentType value of an alert record: an OCSF
// Detection Finding as JSON.
const ContentType = "application/vnd.aitdr.alert+json"

// The fixed classification of every aitdr alert.
const (
	// CategoryUID is the OCSF Findings category.
	CategoryUID = 2
	// CategoryName is the caption of CategoryUID.
	CategoryName = "Findings"
	// ClassUID is the OCSF Detection Finding class.
	ClassUID = 2004
	// ClassName is the caption of ClassUID.
	ClassName = "Detection Finding"
)

// TypeUID returns the type_uid of a Detection Finding of activity a:
// ClassUID * 100 + a, such as 200401 for Create.
func TypeUID(a ActivityID) int { return ClassUID*100 + int(a) }

// TypeName returns the type_name of a Detection Finding of activity a, such
// as "Detection Finding: Create".
func TypeName(a ActivityID) string { return ClassName + ": " + a.String() }

// caption returns the caption of id in captions, or "Other" with the number.
func caption(captions map[int]string, id int) string {
	if c, ok := captions[id]; ok {
		return c
	}
	return "Other (" + strconv.Itoa(id) + ")"
}

// ActivityID is the finding activity (activity_id).
type ActivityID int

// Finding activities.
const (
	ActivityUnknown ActivityID = 0
	ActivityCreate  ActivityID = 1
	ActivityUpdate  ActivityID = 2
	ActivityClose   ActivityID = 3
	ActivityOther   ActivityID = 99
)

var activityCaptions = map[int]string{0: "Unknown", 1: "Create", 2: "Update", 3: "Close", 99: "Other"}

// String returns the OCSF caption of a, such as "Create".
func (a ActivityID) String() string { return caption(activityCaptions, int(a)) }

// SeverityID is the normalized severity (severity_id).
type SeverityID int

// Severities.
const (
	SeverityUnknown       SeverityID = 0
	SeverityInformational SeverityID = 1
	SeverityLow           SeverityID = 2
	SeverityMedium        SeverityID = 3
	SeverityHigh          SeverityID = 4
	SeverityCritical      SeverityID = 5
	SeverityFatal         SeverityID = 6
	SeverityOther         SeverityID = 99
)

var severityCaptions = map[int]string{
	0: "Unknown", 1: "Informational", 2: "Low", 3: "Medium", 4: "High", 5: "Critical", 6: "Fatal", 99: "Other",
}

// String returns the OCSF caption of s, such as "High".
func (s SeverityID) String() string { return caption(severityCaptions, int(s)) }

// RiskLevel returns the risk level aitdr gives a finding of severity s.
func (s SeverityID) RiskLevel() RiskLevelID {
	switch s {
	case SeverityLow:
		return RiskLow
	case SeverityMedium:
		return RiskMedium
	case SeverityHigh:
		return RiskHigh
	case SeverityCritical, SeverityFatal:
		return RiskCritical
	case SeverityOther:
		return RiskOther
	}
	return RiskInfo
}

// StatusID is the finding lifecycle status (status_id).
type StatusID int

// Finding statuses.
const (
	StatusUnknown    StatusID = 0
	StatusNew        StatusID = 1
	StatusInProgress StatusID = 2
	StatusSuppressed StatusID = 3
	StatusResolved   StatusID = 4
	StatusArchived   StatusID = 5
	StatusOther      StatusID = 99
)

var statusCaptions = map[int]string{
	0: "Unknown", 1: "New", 2: "In Progress", 3: "Suppressed", 4: "Resolved", 5: "Archived", 99: "Other",
}

// String returns the OCSF caption of s, such as "New".
func (s StatusID) String() string { return caption(statusCaptions, int(s)) }

// ConfidenceID is the normalized confidence (confidence_id).
type ConfidenceID int

// Confidences.
const (
	ConfidenceUnknown ConfidenceID = 0
	ConfidenceLow     ConfidenceID = 1
	ConfidenceMedium  ConfidenceID = 2
	ConfidenceHigh    ConfidenceID = 3
	ConfidenceOther   ConfidenceID = 99
)

var confidenceCaptions = map[int]string{0: "Unknown", 1: "Low", 2: "Medium", 3: "High", 99: "Other"}

// String returns the OCSF caption of c, such as "High".
func (c ConfidenceID) String() string { return caption(confidenceCaptions, int(c)) }

// RiskLevelID is the normalized risk level (risk_level_id).
type RiskLevelID int

// Risk levels.
const (
	RiskInfo     RiskLevelID = 0
	RiskLow      RiskLevelID = 1
	RiskMedium   RiskLevelID = 2
	RiskHigh     RiskLevelID = 3
	RiskCritical RiskLevelID = 4
	RiskOther    RiskLevelID = 99
)

var riskCaptions = map[int]string{0: "Info", 1: "Low", 2: "Medium", 3: "High", 4: "Critical", 99: "Other"}

// String returns the OCSF caption of r, such as "Critical".
func (r RiskLevelID) String() string { return caption(riskCaptions, int(r)) }

// AnalyticTypeID is the kind of analytic that produced a finding
// (finding_info.analytic.type_id).
type AnalyticTypeID int

// Analytic types.
const (
	AnalyticUnknown     AnalyticTypeID = 0
	AnalyticRule        AnalyticTypeID = 1
	AnalyticBehavioral  AnalyticTypeID = 2
	AnalyticStatistical AnalyticTypeID = 3
	AnalyticLearning    AnalyticTypeID = 4
	AnalyticOther       AnalyticTypeID = 99
)

var analyticCaptions = map[int]string{
	0: "Unknown", 1: "Rule", 2: "Behavioral", 3: "Statistical", 4: "Learning (ML/DL)", 99: "Other",
}

// String returns the OCSF caption of a, such as "Behavioral".
func (a AnalyticTypeID) String() string { return caption(analyticCaptions, int(a)) }

// UserTypeID is the OCSF user type (user.type_id).
type UserTypeID int

// User types.
const (
	UserUnknown UserTypeID = 0
	UserRegular UserTypeID = 1
	UserAdmin   UserTypeID = 2
	UserSystem  UserTypeID = 3
	UserOther   UserTypeID = 99
)

var userCaptions = map[int]string{0: "Unknown", 1: "User", 2: "Admin", 3: "System", 99: "Other"}

// String returns the OCSF caption of u, such as "User".
func (u UserTypeID) String() string { return caption(userCaptions, int(u)) }

package aws

// SensitiveLists returns every action the sensitive lists name.
func SensitiveLists() []string {
	var out []string
	for _, m := range []map[string]bool{loggingActions, secretActions, modelDeployActions} {
		for n := range m {
			out = append(out, n)
		}
	}
	return out
}

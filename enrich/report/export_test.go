package report

// HeaderNames returns, for each field of the assumed inventory, the header
// names that select it, for the documentation test.
func HeaderNames() map[string][]string {
	out := map[string][]string{}
	for _, c := range assumedColumns {
		out[c.field] = append([]string{c.field}, c.aliases...)
	}
	return out
}

// ClassWords returns the class values and sources the assumed inventory
// accepts, for the documentation test.
func ClassWords() (classes, sources []string) {
	for k := range classSynonyms {
		classes = append(classes, k)
	}
	for k := range sourceClasses {
		sources = append(sources, k)
	}
	return classes, sources
}

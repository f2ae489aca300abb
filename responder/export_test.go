package responder

// SetBeforeAck makes r call f after an alert's outcomes are recorded and
// before the alert is acknowledged: where the tests simulate a crash.
func SetBeforeAck(r *Responder, f func(alertID string)) { r.beforeAck = f }

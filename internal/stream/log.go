package stream

import (
	"context"
	"log/slog"

	"github.com/twmb/franz-go/pkg/kgo"
)

// kgoLogger writes franz-go's logs to a slog.Logger. franz-go's info level
// (group joins, assignments, metadata changes) is logged only when the
// logger is enabled for info; its debug level never is: it logs every request.
type kgoLogger struct {
	l     *slog.Logger
	level kgo.LogLevel
}

func newKgoLogger(l *slog.Logger) kgoLogger {
	level := kgo.LogLevelError
	switch ctx := context.Background(); {
	case l.Enabled(ctx, slog.LevelInfo):
		level = kgo.LogLevelInfo
	case l.Enabled(ctx, slog.LevelWarn):
		level = kgo.LogLevelWarn
	}
	return kgoLogger{l: l.With("component", "kafka"), level: level}
}

// Level implements kgo.Logger.
func (k kgoLogger) Level() kgo.LogLevel { return k.level }

// Log implements kgo.Logger.
func (k kgoLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	var l slog.Level
	switch level {
	case kgo.LogLevelError:
		l = slog.LevelError
	case kgo.LogLevelWarn:
		l = slog.LevelWarn
	case kgo.LogLevelInfo:
		l = slog.LevelInfo
	default:
		l = slog.LevelDebug
	}
	k.l.Log(context.Background(), l, msg, keyvals...)
}

var _ kgo.Logger = kgoLogger{}

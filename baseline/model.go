package baseline

import (
	"fmt"
	"time"

	"github.com/aitdr/aitdr/schemas"
)

// model is a Config resolved for the hot path: weights, limits and zones.
// It is read-only and shared by the partitions of a worker.
type model struct {
	cfg             Config
	lateness        int64 // ms
	maxFuture       int64 // ms
	learnEvents     int64
	learnPeriod     int64 // ms
	retention       int64 // ms
	afterHoursBelow float64
	alpha           [numHorizons]float64
	limits          [numSeenSets]int
	zone            *time.Location
	identityZones   map[string]*time.Location
	tenantZones     map[string]*time.Location
	categories      map[schemas.Category]uint8
}

// numCategories is the number of action categories.
var numCategories = len(schemas.Categories())

// minTime and maxTime bound the plausible event times: from 2000-01-01 to
// 2100-01-01 UTC.
var (
	minTime = time.UnixMilli(epoch2000).UTC()
	maxTime = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
)

func newModel(cfg Config) (*model, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("baseline: invalid config: %w", err)
	}
	cfg = cfg.withDefaults()
	m := &model{
		cfg:             cfg,
		lateness:        cfg.Lateness.Milliseconds(),
		maxFuture:       cfg.MaxFuture.Milliseconds(),
		learnEvents:     cfg.Learning.Events,
		learnPeriod:     cfg.Learning.Period.Milliseconds(),
		retention:       cfg.Retention.Milliseconds(),
		afterHoursBelow: cfg.AfterHoursBelow,
		alpha:           [numHorizons]float64{alphaOf(cfg.Smoothing.M5), alphaOf(cfg.Smoothing.H1), alphaOf(cfg.Smoothing.D1)},
		limits:          cfg.FirstSeen.limits(),
		categories:      make(map[schemas.Category]uint8),
	}
	for i, c := range schemas.Categories() {
		m.categories[c] = uint8(i)
	}
	var err error
	if m.zone, err = loadZone(cfg.TimeZones.Default); err != nil {
		return nil, fmt.Errorf("baseline: time_zones.default: %w", err)
	}
	load := func(section string, zones map[string]string) (map[string]*time.Location, error) {
		if len(zones) == 0 {
			return nil, nil
		}
		out := make(map[string]*time.Location, len(zones))
		for k, name := range zones {
			loc, err := loadZone(name)
			if err != nil {
				return nil, fmt.Errorf("baseline: time_zones.%s.%s: %w", section, k, err)
			}
			out[k] = loc
		}
		return out, nil
	}
	if m.identityZones, err = load("identities", cfg.TimeZones.Identities); err != nil {
		return nil, err
	}
	if m.tenantZones, err = load("tenants", cfg.TimeZones.Tenants); err != nil {
		return nil, err
	}
	return m, nil
}

// zoneOf returns the time zone of the event's identity: its own, else its
// tenant's or account's, else the default.
func (m *model) zoneOf(ev *schemas.Event) *time.Location {
	if m.identityZones != nil {
		if loc, ok := m.identityZones[ev.Identity.ID]; ok {
			return loc
		}
	}
	if m.tenantZones != nil {
		for _, t := range []string{ev.Source.Tenant, ev.Source.Account, ev.Source.Org, ev.Identity.Account} {
			if t == "" {
				continue
			}
			if loc, ok := m.tenantZones[t]; ok {
				return loc
			}
		}
	}
	return m.zone
}

// categoryOf returns the index of the event's category; an empty or
// unknown category counts as other.
func (m *model) categoryOf(c schemas.Category) uint8 {
	if i, ok := m.categories[c]; ok {
		return i
	}
	return m.categories[schemas.CategoryOther]
}

// absurd reports whether the event's time cannot be folded: unset, before
// 2000 or from 2100, or further ahead of its observed (ingest) time than MaxFuture.
func (m *model) absurd(ev *schemas.Event) bool {
	if ev.Time.Before(minTime) || !ev.Time.Before(maxTime) {
		return true
	}
	if !ev.ObservedTime.IsZero() && ev.Time.Sub(ev.ObservedTime).Milliseconds() > m.maxFuture {
		return true
	}
	return false
}

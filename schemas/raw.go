package schemas

import (
	"encoding/json"
	"errors"
	"unicode/utf8"
)

// rawJSON is the JSON form of Raw: the record as a string when it is valid
// UTF-8, so that a JSON or text record stays readable in golden files and
// exports, and base64 otherwise.
type rawJSON struct {
	Format     RawFormat `json:"format,omitempty"`
	Data       string    `json:"data,omitempty"`
	DataBase64 []byte    `json:"data_base64,omitempty"`
}

// MarshalJSON encodes r as {"format", "data"} when r.Data is valid UTF-8 and
// as {"format", "data_base64"} otherwise. Both forms keep the bytes exactly.
func (r Raw) MarshalJSON() ([]byte, error) {
	j := rawJSON{Format: r.Format}
	if utf8.Valid(r.Data) {
		j.Data = string(r.Data)
	} else {
		j.DataBase64 = r.Data
	}
	return json.Marshal(j)
}

// UnmarshalJSON decodes either JSON form of Raw.
func (r *Raw) UnmarshalJSON(b []byte) error {
	var j rawJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	if j.Data != "" && len(j.DataBase64) > 0 {
		return errors.New("raw record has both data and data_base64")
	}
	r.Format = j.Format
	switch {
	case j.Data != "":
		r.Data = []byte(j.Data)
	case len(j.DataBase64) > 0:
		r.Data = j.DataBase64
	default:
		r.Data = nil
	}
	return nil
}

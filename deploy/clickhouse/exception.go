package clickhouse

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// ClickHouse error codes this package produces itself or maps to HTTP
// statuses (src/Common/ErrorCodes.cpp; checked against the engine with
// errorCodeToName).
const (
	codeCannotParseText                 = 6
	codeThereIsNoColumn                 = 8
	codeDuplicateColumn                 = 15
	codeCannotParseEscapeSequence       = 25
	codeCannotParseQuotedString         = 26
	codeCannotParseInputAssertionFailed = 27
	codeCannotReadAllData               = 33
	codeBadArguments                    = 36
	codeUnknownElementInAST             = 37
	codeCannotParseDate                 = 38
	codeCannotParseDateTime             = 41
	codeIllegalColumn                   = 44
	codeUnknownFunction                 = 46
	codeUnknownIdentifier               = 47
	codeNotImplemented                  = 48
	codeUnknownType                     = 50
	codeTypeMismatch                    = 53
	codeUnknownStorage                  = 56
	codeUnknownTable                    = 60
	codeSyntaxError                     = 62
	codeUnknownAggregateFunction        = 63
	codeCannotParseNumber               = 72
	codeUnknownFormat                   = 73
	codeCannotOpenFile                  = 76
	codeUnknownTypeOfQuery              = 78
	codeUnknownDatabase                 = 81
	codeUnknownCompressionMethod        = 89
	codeUnknownSetting                  = 115
	codeIncorrectData                   = 117
	codeUnknownTypeOfASTNode            = 123
	codeUnknownDirectionOfSorting       = 152
	codeTimeoutExceeded                 = 159
	codeReadonly                        = 164
	codeTooDeepAST                      = 167
	codeTooBigAST                       = 168
	codeUnknownUser                     = 192
	codeWrongPassword                   = 193
	codeRequiredPassword                = 194
	codeTooManySimultaneousQueries      = 202
	codeSocketTimeout                   = 209
	codeUnexpectedASTStructure          = 223
	codeQueryIsTooLarge                 = 229
	codeAborted                         = 236
	codeCannotDecompress                = 271
	codeValueIsOutOfRangeOfDataType     = 321
	codeUnknownDatabaseEngine           = 336
	codeCannotParseUUID                 = 376
	codeHTTPLengthRequired              = 381
	codeQueryWasCancelled               = 394
	codeCannotCompileRegexp             = 427
	codeCannotScheduleTask              = 439
	codeCannotParseDomainValue          = 441
	codeAccessDenied                    = 497
	codeUnknownRole                     = 511
	codeSetNonGrantedRole               = 512
	codeAuthenticationFailed            = 516
	codeCannotParseIPv4                 = 675
	codeCannotParseIPv6                 = 676
	codeUnsupportedMediaType            = 779
	codeUnknownException                = 1002
)

// codeNames names the codes this package raises itself, for the "(NAME)"
// suffix ClickHouse puts on exception text.
var codeNames = map[int]string{
	codeCannotReadAllData:          "CANNOT_READ_ALL_DATA",
	codeBadArguments:               "BAD_ARGUMENTS",
	codeUnknownFormat:              "UNKNOWN_FORMAT",
	codeUnsupportedMediaType:       "UNSUPPORTED_MEDIA_TYPE",
	codeNotImplemented:             "NOT_IMPLEMENTED",
	codeSyntaxError:                "SYNTAX_ERROR",
	codeUnknownCompressionMethod:   "UNKNOWN_COMPRESSION_METHOD",
	codeUnknownSetting:             "UNKNOWN_SETTING",
	codeReadonly:                   "READONLY",
	codeTooManySimultaneousQueries: "TOO_MANY_SIMULTANEOUS_QUERIES",
	codeQueryIsTooLarge:            "QUERY_IS_TOO_LARGE",
	codeAborted:                    "ABORTED",
	codeCannotDecompress:           "CANNOT_DECOMPRESS",
	codeQueryWasCancelled:          "QUERY_WAS_CANCELLED",
	codeAuthenticationFailed:       "AUTHENTICATION_FAILED",
	codeUnknownException:           "UNKNOWN_EXCEPTION",
}

// Exception is an error in ClickHouse's terms: the engine's own errors, and
// the ones the HTTP interface raises (authentication, limits, unsupported
// requests). Text is what ClickHouse writes in an HTTP error body and what
// Error returns: "Code: 60. DB::Exception: Unknown table ... (UNKNOWN_TABLE)".
type Exception struct {
	// Code is the ClickHouse error code, e.g. 60 for UNKNOWN_TABLE.
	Code int
	// Name is the symbolic name of Code, e.g. "UNKNOWN_TABLE"; empty when the
	// text does not carry it.
	Name string
	// Text is the full exception text.
	Text string
}

func (e *Exception) Error() string { return e.Text }

// HTTPStatus is the HTTP status ClickHouse answers for this exception
// (src/Server/HTTP/exceptionCodeToHTTPStatus.cpp).
func (e *Exception) HTTPStatus() int { return httpStatus(e.Code) }

// newException builds an Exception with ClickHouse's text layout.
func newException(code int, format string, args ...any) *Exception {
	name := codeNames[code]
	msg := strings.TrimRight(fmt.Sprintf(format, args...), ".")
	text := fmt.Sprintf("Code: %d. DB::Exception: %s.", code, msg)
	if name != "" {
		text += " (" + name + ")"
	}
	return &Exception{Code: code, Name: name, Text: text}
}

var (
	exceptionCodeRe = regexp.MustCompile(`^Code: (\d+)\. `)
	exceptionNameRe = regexp.MustCompile(`\(([A-Z][A-Z0-9_]+)\)\s*$`)
)

// parseException turns the engine's error text into an Exception. Text
// without a "Code: N." prefix becomes UNKNOWN_EXCEPTION with the text kept.
func parseException(text string) *Exception {
	text = strings.TrimSpace(text)
	m := exceptionCodeRe.FindStringSubmatch(text)
	if m == nil {
		return newException(codeUnknownException, "%s", text)
	}
	code, err := strconv.Atoi(m[1])
	if err != nil || code <= 0 {
		return newException(codeUnknownException, "%s", text)
	}
	e := &Exception{Code: code, Text: text}
	if n := exceptionNameRe.FindStringSubmatch(text); n != nil {
		e.Name = n[1]
	}
	return e
}

// httpStatus maps a ClickHouse error code to the HTTP status ClickHouse's
// HTTP interface answers with.
func httpStatus(code int) int {
	switch code {
	case codeRequiredPassword:
		return http.StatusUnauthorized
	case codeUnknownUser, codeWrongPassword, codeAuthenticationFailed, codeSetNonGrantedRole, codeAccessDenied:
		return http.StatusForbidden
	case codeBadArguments, codeCannotCompileRegexp, codeCannotParseText, codeCannotParseEscapeSequence,
		codeCannotParseQuotedString, codeCannotParseDate, codeCannotParseDateTime, codeCannotParseNumber,
		codeCannotParseDomainValue, codeCannotParseIPv4, codeCannotParseIPv6,
		codeCannotParseInputAssertionFailed, codeCannotParseUUID, codeDuplicateColumn, codeIllegalColumn,
		codeUnknownElementInAST, codeUnknownTypeOfASTNode, codeThereIsNoColumn, codeTooDeepAST, codeTooBigAST,
		codeUnexpectedASTStructure, codeSyntaxError, codeIncorrectData, codeTypeMismatch,
		codeValueIsOutOfRangeOfDataType:
		return http.StatusBadRequest
	case codeUnknownTable, codeUnknownFunction, codeUnknownIdentifier, codeUnknownType, codeUnknownStorage,
		codeUnknownDatabase, codeUnknownSetting, codeUnknownDirectionOfSorting, codeUnknownAggregateFunction,
		codeUnknownFormat, codeUnknownDatabaseEngine, codeUnknownTypeOfQuery, codeUnknownRole:
		return http.StatusNotFound
	case codeQueryIsTooLarge:
		return http.StatusRequestEntityTooLarge
	case codeNotImplemented:
		return http.StatusNotImplemented
	case codeSocketTimeout, codeCannotOpenFile, codeCannotScheduleTask:
		return http.StatusServiceUnavailable
	case codeHTTPLengthRequired:
		return http.StatusLengthRequired
	case codeTimeoutExceeded:
		return http.StatusRequestTimeout
	case codeUnsupportedMediaType:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

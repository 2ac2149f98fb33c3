package api

// errorBody is an error as it appears inside a successful answer (a
// login's phone_error).
type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

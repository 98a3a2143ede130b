"""genai_api's refusals: what went wrong with the provider, told to the bot (and the operator) in one shape."""

from service_kit.errors import ServiceError, UnavailableError, UnprocessableError


class ProviderUnconfigured(UnavailableError):
    """No provider is set up; the detail names the variables the operator has to set."""

    code = "provider_unconfigured"


class ProviderAuthFailed(ServiceError):
    """The provider refused our key: only the operator can fix it, so the bot should not retry."""

    status_code = 502
    code = "provider_auth"


class ProviderRateLimited(ServiceError):
    """The provider's quota is spent for now; Retry-After is passed through when the provider sent one."""

    status_code = 429
    code = "provider_rate_limited"


class ProviderUnavailable(ServiceError):
    """The provider is down, unreachable or too slow: a passing outage, worth a later retry."""

    status_code = 502
    code = "provider_unavailable"


class ProviderRejected(ServiceError):
    """The provider refused the request itself (unknown model, request too large): a setting to fix."""

    status_code = 502
    code = "provider_rejected"


class ProviderBadResponse(ServiceError):
    """The provider answered 200 with something that is not its documented response."""

    status_code = 502
    code = "provider_bad_response"


class ContentBlocked(UnprocessableError):
    """The provider's safety filter withheld the answer; rephrasing the prompt is the only fix."""

    code = "content_blocked"

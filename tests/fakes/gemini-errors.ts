// Error bodies shaped exactly like the Gemini API's (google.rpc.Status as JSON), so the real SDK
// builds the same ApiError it would from Google.

export interface GoogleError {
  code: number;
  status: string;
  message: string;
  details?: Record<string, unknown>[];
}

const type = (name: string) => `type.googleapis.com/google.rpc.${name}`;

export function apiKeyInvalid(): GoogleError {
  const message = "API key not valid. Please pass a valid API key.";
  return {
    code: 400,
    status: "INVALID_ARGUMENT",
    message,
    details: [
      {
        "@type": type("ErrorInfo"),
        reason: "API_KEY_INVALID",
        domain: "googleapis.com",
        metadata: { service: "generativelanguage.googleapis.com" },
      },
      { "@type": type("LocalizedMessage"), locale: "en-US", message },
    ],
  };
}

export function unregisteredCaller(): GoogleError {
  return {
    code: 403,
    status: "PERMISSION_DENIED",
    message:
      "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
  };
}

export function permissionDenied(): GoogleError {
  return {
    code: 403,
    status: "PERMISSION_DENIED",
    message: "Your API key was reported as leaked. Please use another API key.",
  };
}

export function invalidArgument(message: string): GoogleError {
  return { code: 400, status: "INVALID_ARGUMENT", message };
}

export function modelNotFound(model: string, apiVersion: string): GoogleError {
  return {
    code: 404,
    status: "NOT_FOUND",
    message:
      `models/${model} is not found for API version ${apiVersion}, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.`,
  };
}

export function notFound(path: string): GoogleError {
  return { code: 404, status: "NOT_FOUND", message: `The requested URL ${path} was not found.` };
}

export function resourceExhausted(model: string, retryDelay: string): GoogleError {
  return {
    code: 429,
    status: "RESOURCE_EXHAUSTED",
    message:
      `You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits.\n* Quota exceeded for metric: generativelanguage.googleapis.com/generate_content_free_tier_requests, limit: 10, model: ${model}\nPlease retry in ${retryDelay}.`,
    details: [
      {
        "@type": type("QuotaFailure"),
        violations: [{
          quotaMetric: "generativelanguage.googleapis.com/generate_content_free_tier_requests",
          quotaId: "GenerateRequestsPerMinutePerProjectPerModel-FreeTier",
          quotaDimensions: { location: "global", model },
          quotaValue: "10",
        }],
      },
      {
        "@type": type("Help"),
        links: [{
          description: "Learn more about Gemini API quotas",
          url: "https://ai.google.dev/gemini-api/docs/rate-limits",
        }],
      },
      { "@type": type("RetryInfo"), retryDelay },
    ],
  };
}

export function internal(): GoogleError {
  return {
    code: 500,
    status: "INTERNAL",
    message:
      "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
  };
}

export function unavailable(): GoogleError {
  return {
    code: 503,
    status: "UNAVAILABLE",
    message: "The model is overloaded. Please try again later.",
  };
}

/** The HTTP answer Google sends for an error: JSON with a single `error` member. */
export function errorResponse(error: GoogleError): Response {
  return new Response(JSON.stringify({ error }, null, 2), {
    status: error.code,
    headers: { "content-type": "application/json; charset=UTF-8" },
  });
}

// Server-side access to callintake with the org API key. The key lives in this process's environment and
// is never sent to the browser; importing this module from a client component fails the build.
import "server-only";

import { NextResponse } from "next/server";

import type { ApiErrorBody } from "./types";

const DEFAULT_URL = "http://127.0.0.1:8000";
// The SDP exchange includes callintake's own round trip to OpenAI, so it gets more time than a lookup.
const TIMEOUT_MS = 20_000;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function errorResponse(status: number, code: string, message: string, details: unknown = null) {
  const body: ApiErrorBody = { error: { code, message, details } };
  return NextResponse.json(body, { status, headers: { "Cache-Control": "no-store" } });
}

/** The request's JSON body: undefined when there is none or it does not parse. */
export async function readJson(request: Request): Promise<unknown> {
  try {
    return JSON.parse(await request.text()) as unknown;
  } catch {
    return undefined;
  }
}

interface CallintakeRequest {
  method: "GET" | "POST";
  body?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

/**
 * One request to callintake as the org. Answers callintake's response, or one of ours in callintake's
 * error shape when the example is misconfigured (500) or callintake cannot be reached (502).
 */
export async function callintake(path: string, init: CallintakeRequest): Promise<Response> {
  const apiKey = process.env.CALLINTAKE_API_KEY;
  if (!apiKey) {
    return errorResponse(500, "example_misconfigured", "CALLINTAKE_API_KEY is not set on the server");
  }
  const baseUrl = (process.env.CALLINTAKE_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  const headers: Record<string, string> = { ...init.headers, Authorization: `Bearer ${apiKey}` };
  if (init.contentType) headers["Content-Type"] = init.contentType;
  try {
    return await fetch(`${baseUrl}${path}`, {
      method: init.method,
      headers,
      body: init.body,
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return errorResponse(502, "callintake_unreachable", "could not reach callintake");
  }
}

/** A 4xx/5xx from callintake goes to the browser as it came: same status, same error JSON. */
export async function relayError(upstream: Response) {
  const body: unknown = await upstream.json().catch(() => undefined);
  if (isRecord(body) && isRecord(body.error)) {
    return NextResponse.json(body, { status: upstream.status, headers: { "Cache-Control": "no-store" } });
  }
  return errorResponse(502, "callintake_bad_response", `callintake answered ${upstream.status} without JSON`);
}

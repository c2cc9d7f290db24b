// Server-side access to callintake with the org API key. The key lives in this process's environment and
// is never sent to the browser; importing this module from a client component fails the build.
import "server-only";

import { NextResponse } from "next/server";

import type { ApiErrorBody } from "./types";

const DEFAULT_URL = "http://127.0.0.1:8000";
const TIMEOUT_MS = 15_000;

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface Forwarded {
  status: number;
  body: unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function errorResponse(status: number, code: string, message: string, details: unknown = null) {
  const body: ApiErrorBody = { error: { code, message, details } };
  return NextResponse.json(body, { status });
}

/** A 4xx/5xx from callintake goes to the browser as it came: same status, same error JSON. */
export function passThrough(forwarded: Forwarded) {
  return NextResponse.json(forwarded.body, { status: forwarded.status });
}

export const INVALID_JSON = Symbol("invalid JSON");

/** The request's JSON body: undefined when there is none, INVALID_JSON when it does not parse. */
export async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text.trim() === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID_JSON;
  }
}

/** POST to callintake as the org. Network failures and non-JSON answers come back in our error shape. */
export async function postToCallintake(path: string, body: unknown): Promise<Forwarded> {
  const apiKey = process.env.CALLINTAKE_API_KEY;
  if (!apiKey) {
    return problem(500, "example_misconfigured", "CALLINTAKE_API_KEY is not set on the server");
  }
  const baseUrl = (process.env.CALLINTAKE_URL ?? DEFAULT_URL).replace(/\/+$/, "");
  let response: Response;
  try {
    response = await fetch(`${baseUrl}${path}`, {
      method: "POST",
      headers: { Authorization: `Bearer ${apiKey}`, "Content-Type": "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch {
    return problem(502, "callintake_unreachable", "could not reach callintake");
  }
  try {
    return { status: response.status, body: await response.json() };
  } catch {
    return problem(502, "callintake_bad_response", `callintake answered ${response.status} without JSON`);
  }
}

function problem(status: number, code: string, message: string): Forwarded {
  const body: ApiErrorBody = { error: { code, message, details: null } };
  return { status, body };
}

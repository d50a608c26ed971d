/** Shapes of the admin API's answers the console reads (docs/operators.md). */
export interface SerializedError { code: string; message: string; violations?: { path: string; message: string }[] }
export interface Summary {
  id: string; routeId: string; status: string; attempts: number; businessKey?: string; correlationId: string; receivedAt: string;
  lastError?: SerializedError; resolution?: string; replayOf?: string; replayedBy?: string; errorEndpoint?: string;
}
export interface Stage {
  seq: number; stage: string; status: string; attempt: number; at: string; durationMs?: number; endpoint?: string; detail?: string;
  error?: SerializedError; payload?: string; prettyPayload?: string; contentType?: string;
}
export interface Detail extends Summary { contentType: string; payload: string; prettyPayload?: string; stages: Stage[]; replays: Summary[]; failedStage?: string }
export interface Group { routeId: string; endpoint?: string; errorCode: string; message: string; count: number; errorGroup: string; lastReceivedAt: string; sampleId: string }
export interface Job { id: string; status: string; total: number; replayed: number; skipped: number; failed: number; ratePerSecond: number; createdBy: string; reason: string; createdAt: string; lastError?: SerializedError }
export interface DiffLine { op: string; text: string }
export interface DryStage { stage: string; change: string; diff?: { lines: DiffLine[] }; original?: { error?: SerializedError }; dryRun?: { error?: SerializedError } }
export interface DryReport { verdict: string; from: string; resumeAt?: string; failure?: { stage: string; error: SerializedError }; stages: DryStage[]; deliveries: { endpoint: string; skipped: boolean; request?: { method: string; url: string } }[] }
export interface Audit { seq: number; at: string; actor: string; role: string; method?: string; action: string; messageId?: string; replayId?: string; jobId?: string; reason?: string; detail?: Record<string, unknown> }

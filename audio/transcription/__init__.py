"""Transcription: one transcript shape (`base`), two engines (local faster-whisper, AssemblyAI streaming v3),
the live captioner that picks between them (`live`), and the delivery measures drawn from words
(`speech_metrics`). Nothing heavy is imported here: each engine loads its model or SDK on first use.
"""

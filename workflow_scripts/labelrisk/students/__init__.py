"""Student encoders: fine-tuning, soft targets, frozen embeddings."""

"""Operations kmsconsole does not offer yet, answered with UnsupportedOperationException."""

"""What every app may use and that knows no app: the one COPY writer, the domain errors' base and the client's
address."""

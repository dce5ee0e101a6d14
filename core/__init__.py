"""What every app may use and that knows no app: the one COPY writer and the domain errors' base."""

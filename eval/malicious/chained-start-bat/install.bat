@echo off
rem inert sample: the real one fetched and started an executable

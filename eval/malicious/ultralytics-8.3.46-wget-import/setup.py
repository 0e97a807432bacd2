from setuptools import find_packages, setup

setup(
    name="ultralytics",
    version="8.3.46",
    description="Ultralytics YOLO for SOTA object detection, multi-object tracking, "
    "instance segmentation, pose estimation and image classification.",
    packages=find_packages(),
    install_requires=["numpy", "requests", "torch"],
)
